"""Demo data for local development and reviews: the catalog, 60 live instructors across every
category and borough, a few students, and three demo logins.

Every account, profile and offering is made through the services (register_user,
register_instructor, update_profile, add_offering, set_service_areas), so demo instructors go
live by the same rules as real ones. The output is deterministic: names, bios and prices come
from the lists below and one `random.Random(DEMO_SEED)` makes every choice, so each run on any
machine produces the same people. Running it again creates nobody new.
"""

import random
import re
import unicodedata
from dataclasses import dataclass

from django.db import transaction

from accounts import roles
from accounts.models import User
from accounts.services import enrol_known_key, register_user

from .catalog import load_areas, load_catalog
from .models import AgeGroup, LocationType, Neighborhood, Service, SkillLevel
from .services import add_offering, register_instructor, set_service_areas, update_profile

DEMO_SEED = 2026
DEMO_PASSWORD = "demo-lessons-2026"  # noqa: S105 - printed for everyone on purpose
# The authenticator key of every demo instructor and the demo staff login (two-factor sign-in is
# required for them), printed in base32 for an authenticator app: JBSWY3DPEHPK3PXP.
DEMO_TOTP_KEY_HEX = "48656c6c6f21deadbeef"
DEMO_EMAIL_DOMAIN = "demo.instainstru.test"
DEMO_INSTRUCTOR_COUNT = 60
DEMO_STUDENT_TIMEZONES = (
    "America/New_York",
    "America/New_York",
    "America/Los_Angeles",
    "America/New_York",
    "America/Chicago",
    "America/New_York",
)
INSTRUCTOR_TIMEZONE = "America/New_York"

STUDENT = LocationType.STUDENT_LOCATION.value
STUDIO = LocationType.INSTRUCTOR_LOCATION.value
ONLINE = LocationType.ONLINE.value
NEUTRAL = LocationType.NEUTRAL_LOCATION.value
KIDS, TEENS, ADULTS = AgeGroup.KIDS.value, AgeGroup.TEENS.value, AgeGroup.ADULTS.value
BEGINNER, INTERMEDIATE, ADVANCED = SkillLevel.BEGINNER.value, SkillLevel.INTERMEDIATE.value, SkillLevel.ADVANCED.value
EVERY_AGE = (KIDS, TEENS, ADULTS)
EVERY_LEVEL = (BEGINNER, INTERMEDIATE, ADVANCED)


# --- The three demo logins ------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    label: str
    email: str
    first_name: str
    last_name: str
    role: str


DEMO_STUDENT = DemoLogin("Student", "student@instainstru.test", "Maya", "Chen", roles.STUDENT)
DEMO_INSTRUCTOR = DemoLogin("Instructor", "instructor@instainstru.test", "Sofia", "Marchetti", roles.INSTRUCTOR)
DEMO_STAFF = DemoLogin("Staff (admin)", "staff@instainstru.test", "Jordan", "Reyes", roles.ADMIN)
DEMO_LOGINS = (DEMO_STUDENT, DEMO_INSTRUCTOR, DEMO_STAFF)

DEMO_INSTRUCTOR_PROFILE = {
    "headline": "Juilliard-trained pianist teaching kids and adults on the Upper West Side",
    "bio": (
        "I'm a Juilliard-trained pianist with 14 years of teaching experience, from first lessons to "
        "conservatory auditions. Lessons balance solid technique and sight-reading with music you love "
        "to play, from Bach to Billy Joel. I also teach music theory, so students understand what "
        "they play, not just where their fingers go."
    ),
    "years_experience": 14,
    "neighborhoods": ("upper-west-side", "morningside-heights", "upper-east-side", "hells-kitchen"),
    "offerings": (
        {
            "service": "piano",
            "hourly_rate_cents": 95_00,
            "durations": [30, 45, 60],
            "location_types": [STUDENT, STUDIO, ONLINE],
            "age_groups": list(EVERY_AGE),
            "levels": list(EVERY_LEVEL),
            "description": "Classical and pop piano for beginners through advanced students, with recital preparation.",
        },
        {
            "service": "music-theory",
            "hourly_rate_cents": 80_00,
            "durations": [45, 60],
            "location_types": [STUDIO, ONLINE],
            "age_groups": [TEENS, ADULTS],
            "levels": [BEGINNER, INTERMEDIATE],
            "description": "Harmony, ear training and reading music, including ABRSM and AP Music Theory preparation.",
        },
    ),
}


# --- Names --------------------------------------------------------------------------------

FIRST_NAMES = (
    "Aaliyah", "Adebayo", "Aisha", "Alejandro", "Amara", "Ananya", "Andrei", "Beatriz", "Benjamin",
    "Camille", "Carlos", "Chidi", "Chloé", "Daniel", "Deepa", "Diego", "Dmitri", "Elif", "Emeka",
    "Esperanza", "Ethan", "Fatima", "Gabriel", "Grace", "Hana", "Hannah", "Hiroshi", "Ibrahim",
    "Imani", "Isabella", "Jae-won", "Jamal", "Jasmine", "Javier", "Jin", "Kavya", "Keisha", "Kenji",
    "Laila", "Leah", "Liam", "Lucía", "Malik", "Marcus", "Mariana", "Mateo", "Mei", "Michael",
    "Nadia", "Naomi", "Nikhil", "Nina", "Noah", "Olivia", "Olumide", "Omar", "Priya", "Rachel",
    "Rafael", "Rebecca", "Rohan", "Samira", "Sean", "Shira", "Siobhan", "Tariq", "Thanh", "Tomás",
    "Valentina", "Wei", "Yasmin", "Yusuf", "Zara", "Zoë",
)  # fmt: skip

LAST_NAMES = (
    "Abramov", "Adeyemi", "Ahmed", "Alvarez", "Baptiste", "Bernstein", "Bianchi", "Castillo",
    "Chaudhry", "Cohen", "Costa", "Delgado", "Dubois", "Eriksen", "Farouk", "Fitzgerald", "Goldberg",
    "Gonzalez", "Greene", "Gupta", "Haddad", "Harrington", "Hernandez", "Hoang", "Iyer", "Jackson",
    "Jean-Baptiste", "Kaplan", "Kim", "Kowalski", "Kuznetsov", "Lee", "Levy", "Liu", "Lopez",
    "Mahmoud", "Martinez", "McCarthy", "Mehta", "Mensah", "Moreno", "Murphy", "Nakamura", "Nguyen",
    "Novak", "O'Brien", "Okafor", "Olsen", "Ortiz", "Park", "Patel", "Peña", "Petrov", "Pierre",
    "Ramirez", "Reddy", "Rivera", "Robinson", "Romano", "Rosen", "Russo", "Santos", "Schwartz",
    "Shapiro", "Singh", "Sullivan", "Tanaka", "Torres", "Vasquez", "Wang", "Washington", "Williams",
    "Wong", "Yamamoto", "Zhang",
)  # fmt: skip


# --- What each kind of teacher says and charges ----------------------------------------------


@dataclass(frozen=True)
class CategoryStyle:
    rate_dollars: tuple[int, int]
    durations: tuple[int, ...]
    location_types: tuple[str, ...]
    approach: tuple[str, ...]  # sentences a bio may use


CATEGORY_STYLES = {
    "music": CategoryStyle(
        (50, 120), (30, 45, 60, 90), (STUDENT, STUDIO, ONLINE),
        (
            "I tailor every lesson to the student's goals, whether that's a first recital or a conservatory audition.",
            "Beginners are very welcome; we start with music you actually want to play.",
            "Students get a short weekly practice plan, so progress between lessons is steady.",
        ),
    ),
    "languages": CategoryStyle(
        (40, 95), (30, 45, 60, 90), (ONLINE, STUDENT, NEUTRAL),
        (
            "Every lesson is mostly speaking, with materials adapted to your interests.",
            "I build lessons around real situations: ordering food, meeting family, job interviews.",
            "You'll leave each session with vocabulary you can use the same day.",
        ),
    ),
    "tutoring-math": CategoryStyle(
        (55, 130), (45, 60, 90, 120), (ONLINE, STUDENT, NEUTRAL),
        (
            "I explain the why behind every method, so students can solve problems they haven't seen before.",
            "Parents get a short note after each session on what we covered and what's next.",
            "Students who think they're not math people are my favorite to work with.",
        ),
    ),
    "tutoring-science": CategoryStyle(
        (60, 135), (45, 60, 90, 120), (ONLINE, STUDENT, NEUTRAL),
        (
            "I connect every concept to real-world examples and walk through problems step by step.",
            "Parents get a short progress note after every session.",
            "We practice with past exam questions, so test day feels familiar.",
        ),
    ),
    "tutoring-humanities": CategoryStyle(
        (55, 130), (45, 60, 90, 120), (ONLINE, STUDENT, NEUTRAL),
        (
            "I help students find their own voice instead of writing for me.",
            "Every session ends with a concrete next step for the draft.",
            "We read closely, talk a lot, and then write.",
        ),
    ),
    "test-prep": CategoryStyle(
        (85, 200), (60, 90, 120), (ONLINE, STUDENT, NEUTRAL),
        (
            "Every student starts with a diagnostic test and gets a study plan built from the results.",
            "We review every missed question until the pattern behind it is clear.",
            "Most of my students see real score gains within two months.",
        ),
    ),
    "coding-tech": CategoryStyle(
        (75, 175), (60, 90, 120), (ONLINE, STUDENT),
        (
            "We build real projects from the first lesson, so you leave with something to show.",
            "I focus on problem solving and reading documentation, not memorizing syntax.",
            "Lessons are hands-on: you type, I guide.",
        ),
    ),
    "sports-fitness": CategoryStyle(
        (60, 150), (45, 60, 90), (NEUTRAL, STUDENT),
        (
            "Sessions are built around your goals and adjusted as you progress.",
            "Safety and good form come first; intensity follows.",
            "I work with all ages and fitness levels.",
        ),
    ),
    "dance": CategoryStyle(
        (50, 120), (45, 60, 90), (STUDIO, STUDENT, NEUTRAL),
        (
            "No partner or experience needed, just comfortable shoes.",
            "Lessons mix technique drills with choreography you'll be proud to perform.",
            "I love helping nervous beginners feel at home on the dance floor.",
        ),
    ),
    "visual-arts": CategoryStyle(
        (45, 110), (60, 90, 120), (STUDIO, STUDENT, ONLINE, NEUTRAL),
        (
            "Lessons balance fundamentals with projects you choose.",
            "I bring supplies to the first lesson, so you can try before you buy.",
            "Students build a portfolio of finished pieces over our sessions.",
        ),
    ),
    "crafts-making": CategoryStyle(
        (40, 95), (60, 90, 120), (STUDIO, STUDENT),
        (
            "I supply materials for the first session, so you can try before you buy.",
            "Every student finishes a project to take home.",
            "Lessons are relaxed, social and hands-on.",
        ),
    ),
    "cooking-baking": CategoryStyle(
        (60, 140), (90, 120), (STUDENT, STUDIO, ONLINE),
        (
            "We cook a full meal together, and you keep the recipes.",
            "Lessons can be tailored to dietary needs and the ingredients you have at home.",
            "I teach technique, so you can cook confidently without a recipe.",
        ),
    ),
    "life-skills-business": CategoryStyle(
        (50, 150), (45, 60, 90), (ONLINE, NEUTRAL, STUDENT),
        (
            "Sessions are practical, with exercises you can use right away.",
            "I tailor every session to your goals and give honest, specific feedback.",
            "We work on real material from your life, not textbook examples.",
        ),
    ),
    "kids-early-learning": CategoryStyle(
        (40, 90), (30, 45, 60), (STUDENT, ONLINE),
        (
            "Lessons are playful and structured, with plenty of movement and praise.",
            "Parents get a quick update after each session with ideas for practice at home.",
            "I adapt to each child's pace and learning style.",
        ),
    ),
    "wellness": CategoryStyle(
        (55, 130), (30, 45, 60, 90), (STUDENT, ONLINE, STUDIO),
        (
            "Sessions are calm, personal and adapted to your body and schedule.",
            "I meet you where you are, whether it's your first session or your hundredth.",
            "You'll leave each session with a simple practice to continue on your own.",
        ),
    ),
    "performing-arts": CategoryStyle(
        (60, 150), (45, 60, 90), (STUDIO, ONLINE, NEUTRAL),
        (
            "I create a supportive space to take risks and try things.",
            "Lessons include practical feedback you can use in your next audition.",
            "We work on material you care about, from monologues to sketches.",
        ),
    ),
}  # fmt: skip

# Services whose price differs from their category's usual range (dollars per hour).
RATE_OVERRIDES = {
    "sat-prep": (90, 200),
    "act-prep": (85, 190),
    "psat-prep": (75, 160),
    "shsat-prep": (70, 150),
    "hunter-test-prep": (70, 150),
    "isee-prep": (80, 170),
    "regents-prep": (60, 130),
    "lsat-prep": (120, 250),
    "gre-prep": (100, 220),
    "gmat-prep": (110, 230),
    "mcat-prep": (120, 250),
    "toefl-prep": (60, 120),
    "ielts-prep": (60, 120),
    "data-science": (90, 180),
    "machine-learning": (100, 190),
    "excel": (60, 120),
    "esl": (35, 80),
    "tennis": (80, 160),
    "personal-training": (70, 150),
    "career-coaching": (90, 200),
}

# Services that only make sense in some places (a pool, a court, a wheel).
LOCATION_OVERRIDES = {
    "swimming": (NEUTRAL,),
    "tennis": (NEUTRAL,),
    "basketball": (NEUTRAL,),
    "pickleball": (NEUTRAL,),
    "squash": (NEUTRAL,),
    "pottery": (STUDIO,),
    "boxing": (STUDIO, NEUTRAL, STUDENT),
    "personal-training": (STUDENT, NEUTRAL, ONLINE),
    "yoga": (STUDENT, ONLINE, NEUTRAL),
}


# Who a kind of lesson is usually for: by category, and by service where it differs.
CATEGORY_AGE_GROUPS = {
    "music": EVERY_AGE,
    "languages": EVERY_AGE,
    "tutoring-math": (KIDS, TEENS),
    "tutoring-science": (TEENS, ADULTS),
    "tutoring-humanities": (KIDS, TEENS),
    "test-prep": (TEENS,),
    "coding-tech": (TEENS, ADULTS),
    "sports-fitness": EVERY_AGE,
    "dance": EVERY_AGE,
    "visual-arts": EVERY_AGE,
    "crafts-making": (TEENS, ADULTS),
    "cooking-baking": (TEENS, ADULTS),
    "life-skills-business": (ADULTS,),
    "kids-early-learning": (KIDS,),
    "wellness": (ADULTS,),
    "performing-arts": (TEENS, ADULTS),
}
SERVICE_AGE_GROUPS = {
    "calculus": (TEENS, ADULTS),
    "statistics": (TEENS, ADULTS),
    "college-essays": (TEENS,),
    "essay-writing": (TEENS, ADULTS),
    "shsat-prep": (KIDS, TEENS),
    "hunter-test-prep": (KIDS,),
    "isee-prep": (KIDS, TEENS),
    "lsat-prep": (ADULTS,),
    "gre-prep": (ADULTS,),
    "gmat-prep": (ADULTS,),
    "mcat-prep": (ADULTS,),
    "toefl-prep": (TEENS, ADULTS),
    "ielts-prep": (TEENS, ADULTS),
    "scratch-coding": (KIDS,),
    "data-science": (ADULTS,),
    "esl": (TEENS, ADULTS),
    "personal-training": (TEENS, ADULTS),
    "boxing": (TEENS, ADULTS),
    "public-speaking": (TEENS, ADULTS),
    "chess": EVERY_AGE,
    "pottery": EVERY_AGE,
    "baking": EVERY_AGE,
}
# What an instructor's headline audience (TEACHING_PROFILES) says about their main service's learners.
AUDIENCE_AGE_GROUPS = {
    "kids and adults": (KIDS, ADULTS),
    "children and adults": (KIDS, ADULTS),
    "children and adult beginners": (KIDS, ADULTS),
    "kids and parents": (KIDS, ADULTS),
    "kids and teens": (KIDS, TEENS),
    "kids, teens and adults": EVERY_AGE,
    "juniors and adults": EVERY_AGE,
    "teens and adults": (TEENS, ADULTS),
    "adults and teens": (TEENS, ADULTS),
    "teens preparing for auditions": (TEENS,),
    "high school players": (TEENS,),
    "high school and college students": (TEENS, ADULTS),
    "high schoolers and college students": (TEENS, ADULTS),
    "high schoolers and adults": (TEENS, ADULTS),
    "adult beginners and returning players": (ADULTS,),
    "adults picking the guitar back up": (ADULTS,),
    "adults who want to sing with confidence": (ADULTS,),
    "adult learners": (ADULTS,),
    "adults over 50": (ADULTS,),
    "adults looking for a creative break": (ADULTS,),
    "college students": (ADULTS,),
    "pre-med students": (ADULTS,),
    "career changers": (ADULTS,),
    "beginners and busy professionals": (ADULTS,),
}
AUDIENCE_LEVELS = {
    "beginners of all ages": (BEGINNER,),
    "complete beginners": (BEGINNER,),
    "absolute beginners": (BEGINNER,),
    "nervous beginners": (BEGINNER,),
    "young beginners": (BEGINNER,),
    "adult beginners and returning players": (BEGINNER, INTERMEDIATE),
    "beginners and intermediate players": (BEGINNER, INTERMEDIATE),
    "Suzuki beginners and advancing students": (BEGINNER, INTERMEDIATE),
    "knitters ready for their first sweater": (BEGINNER, INTERMEDIATE),
    "singers of every level": EVERY_LEVEL,
    "home cooks of every level": EVERY_LEVEL,
    "all levels": EVERY_LEVEL,
    "beginners and gigging drummers": EVERY_LEVEL,
    "beginners and professionals": EVERY_LEVEL,
    "triathletes": (INTERMEDIATE, ADVANCED),
    "pre-professional students": (INTERMEDIATE, ADVANCED),
    "club players": (INTERMEDIATE, ADVANCED),
    "students aiming for 1500+": (INTERMEDIATE, ADVANCED),
    "AP Calculus students": (INTERMEDIATE, ADVANCED),
    "AP Physics students": (INTERMEDIATE, ADVANCED),
    "actors preparing auditions": (INTERMEDIATE, ADVANCED),
}
# Otherwise the levels an offering teaches are one of these spans, weighted like real listings.
LEVEL_SPANS = {EVERY_LEVEL: 4, (BEGINNER, INTERMEDIATE): 3, (INTERMEDIATE, ADVANCED): 2, (BEGINNER,): 1}


@dataclass(frozen=True)
class TeachingProfile:
    """How an instructor whose main service this is describes themselves."""

    title: str  # "pianist"
    lessons: str  # "Piano lessons"
    credentials: tuple[str, ...]  # words before the title: "Juilliard-trained"
    audiences: tuple[str, ...]
    focus: tuple[str, ...]  # noun phrases: "Lessons focus on ..."
    related: tuple[str, ...]  # service slugs they may also offer


TEACHING_PROFILES = {
    "piano": TeachingProfile(
        "pianist", "Piano lessons",
        ("Juilliard-trained", "conservatory-trained", "classically trained", "Manhattan School of Music–trained"),
        ("kids and adults", "beginners of all ages", "adult beginners and returning players"),
        (
            "classical technique, sight-reading and music you love to play",
            "jazz voicings, improvisation and playing by ear",
            "solid technique, reading music and preparing for recitals",
        ),
        ("music-theory", "composition", "kids-music", "voice"),
    ),
    "guitar": TeachingProfile(
        "guitarist", "Guitar lessons",
        ("Berklee-trained", "touring", "session", "classically trained"),
        ("beginners and intermediate players", "teens and adults", "adults picking the guitar back up"),
        (
            "chords, strumming and the songs you actually want to play",
            "fingerstyle, blues and rock lead playing",
            "classical guitar technique and reading music",
        ),
        ("bass-guitar", "ukulele", "songwriting", "music-theory"),
    ),
    "violin": TeachingProfile(
        "violinist", "Violin lessons",
        ("Juilliard-trained", "orchestral", "conservatory-trained"),
        ("children and adults", "Suzuki beginners and advancing students"),
        (
            "posture, tone and the Suzuki repertoire",
            "scales, etudes and audition repertoire",
            "fiddle tunes alongside classical technique",
        ),
        ("viola", "music-theory"),
    ),
    "voice": TeachingProfile(
        "voice teacher", "Singing lessons",
        ("Broadway-experienced", "classically trained", "Berklee-trained"),
        ("singers of every level", "teens preparing for auditions", "adults who want to sing with confidence"),
        (
            "breath support, range and healthy technique",
            "musical theater repertoire and audition songs",
            "pop and jazz styling, microphone technique and confidence",
        ),
        ("musical-theater", "audition-prep", "songwriting"),
    ),
    "drums": TeachingProfile(
        "drummer", "Drum lessons",
        ("touring", "Berklee-trained", "working"),
        ("kids, teens and adults", "beginners and gigging drummers"),
        (
            "groove, timing and rudiments",
            "rock, funk and jazz grooves, reading charts and playing with a band",
        ),
        ("music-production", "kids-music"),
    ),
    "spanish": TeachingProfile(
        "Spanish teacher", "Spanish lessons",
        ("native", "bilingual", "DELE-certified", "Bogotá-born"),
        (
            "beginners and conversational learners", "kids and adults", "professionals and travelers",
            "heritage speakers",
        ),
        (
            "everyday conversation, pronunciation and confidence",
            "grammar that finally makes sense, with lots of speaking practice",
            "Spanish for work, travel and family",
        ),
        ("esl", "portuguese", "kids-language-immersion"),
    ),
    "french": TeachingProfile(
        "French tutor", "French lessons",
        ("Paris-born", "native", "DELF-certified"),
        ("beginners and travelers", "students and professionals", "kids and adults"),
        (
            "conversation, pronunciation and the grammar behind them",
            "French for travel, work and the DELF exams",
        ),
        ("italian", "esl"),
    ),
    "mandarin-chinese": TeachingProfile(
        "Mandarin teacher", "Mandarin lessons",
        ("native", "Beijing-born", "HSK-certified"),
        ("beginners, heritage learners and kids", "professionals working with China"),
        (
            "tones, pinyin and everyday conversation",
            "reading and writing characters alongside speaking practice",
            "HSK exam preparation",
        ),
        ("cantonese", "kids-language-immersion"),
    ),
    "esl": TeachingProfile(
        "ESL teacher", "English lessons",
        ("TESOL-certified", "CELTA-certified", "bilingual"),
        ("adult learners", "newcomers to New York", "professionals"),
        (
            "conversation, pronunciation and workplace English",
            "grammar, writing and TOEFL preparation",
        ),
        ("toefl-prep", "ielts-prep", "business-writing"),
    ),
    "middle-school-math": TeachingProfile(
        "math tutor", "Math tutoring",
        ("certified", "patient", "Columbia-educated"),
        ("middle schoolers", "students in grades 5 to 8"),
        (
            "fractions, ratios and pre-algebra, with lots of practice",
            "building confidence ahead of the state tests",
        ),
        ("pre-algebra", "homework-help", "shsat-prep"),
    ),
    "algebra-2": TeachingProfile(
        "math tutor", "Math tutoring",
        ("Cornell-educated", "certified", "patient"),
        ("high schoolers", "students who think they're not math people"),
        (
            "algebra, functions and Regents preparation",
            "step-by-step problem solving for Algebra 1 and 2",
        ),
        ("algebra-1", "precalculus", "regents-prep"),
    ),
    "calculus": TeachingProfile(
        "calculus tutor", "Calculus tutoring",
        ("MIT-educated", "Columbia-educated", "PhD-trained"),
        ("high school and college students", "AP Calculus students"),
        (
            "limits, derivatives and integrals explained intuitively",
            "AP Calculus AB and BC preparation and college calculus",
        ),
        ("precalculus", "ap-exam-prep", "physics"),
    ),
    "statistics": TeachingProfile(
        "statistics tutor", "Statistics tutoring",
        ("NYU-educated", "PhD-trained"),
        ("college students", "AP and college students"),
        (
            "probability, hypothesis testing and regression",
            "AP Statistics and intro stats for psychology and business majors",
        ),
        ("data-science", "excel", "ap-exam-prep"),
    ),
    "chemistry": TeachingProfile(
        "chemistry tutor", "Chemistry tutoring",
        ("Columbia-educated", "PhD-trained", "certified"),
        ("high school and college students", "pre-med students"),
        (
            "stoichiometry, equilibrium and lab reports",
            "Regents and AP Chemistry",
        ),
        ("organic-chemistry", "biology", "mcat-prep"),
    ),
    "physics": TeachingProfile(
        "physics tutor", "Physics tutoring",
        ("Stanford-educated", "PhD-trained", "Cooper Union–educated"),
        ("high schoolers and college students", "AP Physics students"),
        (
            "mechanics, electricity and magnetism",
            "AP Physics 1, 2 and C",
        ),
        ("calculus", "engineering"),
    ),
    "biology": TeachingProfile(
        "biology tutor", "Biology tutoring",
        ("Barnard-educated", "certified", "Hunter College–educated"),
        ("high school and college students", "pre-med students"),
        (
            "cell biology, genetics and the Living Environment Regents",
            "AP Biology and anatomy",
        ),
        ("anatomy-physiology", "chemistry", "mcat-prep"),
    ),
    "college-essays": TeachingProfile(
        "college essay coach", "College essay coaching",
        ("Yale-educated", "published", "Ivy League–educated"),
        ("high school seniors", "juniors and seniors"),
        (
            "finding your story and shaping the Common App personal statement",
            "supplements, revisions and application timelines",
        ),
        ("essay-writing", "creative-writing", "sat-prep"),
    ),
    "essay-writing": TeachingProfile(
        "writing tutor", "Writing tutoring",
        ("published", "NYU-educated", "certified"),
        ("middle and high schoolers", "college students"),
        (
            "thesis statements, structure and clear argument",
            "research papers, editing and citations",
        ),
        ("english-language-arts", "literature", "college-essays"),
    ),
    "history": TeachingProfile(
        "history tutor", "History tutoring",
        ("Columbia-educated", "certified", "enthusiastic"),
        ("middle and high schoolers", "AP students"),
        (
            "Global and US History Regents, document-based questions and essays",
            "AP US History and reading primary sources",
        ),
        ("social-studies", "essay-writing"),
    ),
    "sat-prep": TeachingProfile(
        "SAT tutor", "SAT prep",
        ("99th-percentile", "Princeton-educated", "perfect-scoring"),
        ("high school juniors and seniors", "sophomores getting an early start", "students aiming for 1500+"),
        (
            "the digital SAT's reading, writing and math sections, with timed practice",
            "test strategy, pacing and score-boosting math review",
        ),
        ("act-prep", "psat-prep", "college-essays"),
    ),
    "act-prep": TeachingProfile(
        "ACT tutor", "ACT prep",
        ("perfect-scoring", "Brown-educated"),
        ("high school juniors and seniors", "students choosing between the SAT and ACT"),
        (
            "all four ACT sections plus timing strategy",
            "science reasoning, math review and full practice tests",
        ),
        ("sat-prep", "psat-prep"),
    ),
    "shsat-prep": TeachingProfile(
        "SHSAT tutor", "SHSAT prep",
        ("Stuyvesant-educated", "Bronx Science–educated", "certified"),
        ("7th and 8th graders", "middle schoolers aiming for the specialized high schools"),
        (
            "scrambled paragraphs, reading comprehension and math",
            "full-length practice tests and timing",
        ),
        ("middle-school-math", "isee-prep", "hunter-test-prep"),
    ),
    "lsat-prep": TeachingProfile(
        "LSAT coach", "LSAT prep",
        ("175-scoring", "Harvard Law–educated"),
        ("law school applicants", "working professionals"),
        (
            "logical reasoning and reading comprehension, with a study plan",
            "timed sections, error logs and test-day strategy",
        ),
        ("gre-prep", "gmat-prep", "public-speaking"),
    ),
    "python": TeachingProfile(
        "Python developer", "Python lessons",
        ("senior", "Columbia-educated", "professional"),
        ("complete beginners", "career changers", "high schoolers and adults"),
        (
            "Python fundamentals, small projects and automating everyday tasks",
            "data analysis with pandas and writing clean, tested code",
        ),
        ("data-science", "sql", "machine-learning"),
    ),
    "web-development": TeachingProfile(
        "web developer", "Web development lessons",
        ("full-stack", "senior", "freelance"),
        ("beginners and career changers", "small business owners"),
        (
            "HTML, CSS and JavaScript, from scratch to a live site",
            "React, APIs and deploying your first app",
        ),
        ("javascript", "graphic-design"),
    ),
    "scratch-coding": TeachingProfile(
        "coding teacher", "Coding for kids",
        ("certified", "playful", "patient"),
        ("kids ages 7 to 12", "young beginners"),
        (
            "Scratch games and animations that teach real programming ideas",
            "loops, logic and creative projects",
        ),
        ("stem-for-kids", "robotics", "python"),
    ),
    "data-science": TeachingProfile(
        "data scientist", "Data science lessons",
        ("working", "PhD-trained", "NYU-educated"),
        ("analysts and career changers", "graduate students"),
        (
            "pandas, visualization and statistics you can apply at work",
            "machine learning basics with scikit-learn",
        ),
        ("python", "sql", "statistics"),
    ),
    "swimming": TeachingProfile(
        "swim coach", "Swim lessons",
        ("Red Cross–certified", "former collegiate", "USA Swimming–certified"),
        ("kids and adults", "nervous beginners", "triathletes"),
        (
            "water confidence, floating and freestyle basics",
            "stroke technique and endurance in all four strokes",
        ),
        ("personal-training", "running-coaching"),
    ),
    "tennis": TeachingProfile(
        "tennis coach", "Tennis lessons",
        ("USPTA-certified", "PTR-certified", "tournament-tested"),
        ("juniors and adults", "beginners and league players"),
        (
            "footwork, consistent groundstrokes and a reliable serve",
            "match strategy and doubles play",
        ),
        ("pickleball", "squash", "personal-training"),
    ),
    "yoga": TeachingProfile(
        "yoga teacher", "Yoga classes",
        ("RYT-500", "E-RYT 200", "Iyengar-trained"),
        ("beginners and busy professionals", "all levels", "athletes and desk workers"),
        (
            "vinyasa flow, alignment and breath",
            "gentle, restorative practice and flexibility",
        ),
        ("meditation", "prenatal-yoga", "pilates", "stretching-mobility"),
    ),
    "personal-training": TeachingProfile(
        "personal trainer", "Personal training",
        ("NASM-certified", "ACE-certified", "strength-focused"),
        ("beginners and busy professionals", "adults over 50", "athletes"),
        (
            "strength training, mobility and sustainable habits",
            "functional fitness at home or in the park",
        ),
        ("boxing", "running-coaching", "nutrition-coaching"),
    ),
    "boxing": TeachingProfile(
        "boxing coach", "Boxing lessons",
        ("Golden Gloves", "USA Boxing–certified"),
        ("beginners and fitness boxers", "adults and teens"),
        (
            "footwork, combinations and pad work",
            "boxing conditioning and self-defense basics",
        ),
        ("self-defense", "personal-training", "martial-arts"),
    ),
    "basketball": TeachingProfile(
        "basketball coach", "Basketball training",
        ("former Division I", "AAU"),
        ("kids and teens", "high school players"),
        (
            "ball handling, shooting form and court IQ",
            "skills training for tryouts",
        ),
        ("personal-training", "soccer"),
    ),
    "ballet": TeachingProfile(
        "ballet teacher", "Ballet lessons",
        ("ABT-trained", "Juilliard-trained", "classically trained"),
        ("children and adult beginners", "pre-professional students"),
        (
            "barre, center work and classical technique",
            "pointe preparation and performance",
        ),
        ("contemporary-dance", "jazz-dance", "barre"),
    ),
    "salsa": TeachingProfile(
        "salsa instructor", "Salsa lessons",
        ("award-winning", "Cuban-born", "competition"),
        ("couples and singles", "absolute beginners"),
        (
            "On1 and On2 basics, turns, and leading and following",
            "partnerwork and styling for social dancing",
        ),
        ("bachata", "wedding-dance", "ballroom-dance"),
    ),
    "drawing": TeachingProfile(
        "artist", "Drawing lessons",
        ("RISD-trained", "working", "Pratt-educated"),
        ("adults and teens", "beginners of any age"),
        (
            "observation, perspective and shading",
            "figure drawing and sketchbook habits",
        ),
        ("painting", "watercolor", "art-portfolio"),
    ),
    "photography": TeachingProfile(
        "photographer", "Photography lessons",
        ("award-winning", "freelance", "SVA-trained"),
        ("beginners with a new camera", "hobbyists"),
        (
            "manual mode, light and composition on walks around the city",
            "portraits, street photography and Lightroom editing",
        ),
        ("video-editing", "digital-art"),
    ),
    "pottery": TeachingProfile(
        "ceramicist", "Pottery lessons",
        ("studio", "working", "Pratt-trained"),
        ("beginners and couples", "adults looking for a creative break"),
        (
            "wheel throwing, trimming and glazing",
            "hand building and surface decoration",
        ),
        ("sculpture",),
    ),
    "knitting": TeachingProfile(
        "knitting teacher", "Knitting lessons",
        ("patient", "lifelong", "Craft Yarn Council–certified"),
        ("absolute beginners", "knitters ready for their first sweater"),
        (
            "casting on, knit and purl, and a first scarf",
            "sweaters, colorwork and reading patterns",
        ),
        ("crochet", "embroidery", "sewing"),
    ),
    "home-cooking": TeachingProfile(
        "chef", "Cooking lessons",
        ("ICE-trained", "former restaurant", "CIA-trained"),
        ("home cooks of every level", "couples and families", "college grads learning the basics"),
        (
            "knife skills, weeknight dinners and cooking without recipes",
            "seasonal market cooking and meal planning",
        ),
        ("meal-prep", "italian-cooking", "vegan-cooking"),
    ),
    "baking": TeachingProfile(
        "pastry chef", "Baking lessons",
        ("French-trained", "ICE-trained", "former bakery"),
        ("beginners and home bakers", "kids and parents"),
        (
            "cookies, pies and layer cakes from scratch",
            "laminated dough, croissants and pastry basics",
        ),
        ("bread-baking", "cake-decorating", "pastry"),
    ),
    "chess": TeachingProfile(
        "chess coach", "Chess lessons",
        ("FIDE-rated", "US Chess–certified", "tournament"),
        ("kids and adults", "scholastic players", "club players"),
        (
            "openings, tactics and endgames",
            "tournament preparation and game analysis",
        ),
        ("bridge",),
    ),
    "public-speaking": TeachingProfile(
        "speaking coach", "Public speaking coaching",
        ("TEDx", "Toastmasters-trained", "executive"),
        ("professionals and students", "founders and managers"),
        (
            "structure, delivery and calming nerves",
            "presentations, pitches and media interviews",
        ),
        ("interview-prep", "career-coaching", "business-writing"),
    ),
    "early-literacy": TeachingProfile(
        "reading specialist", "Reading lessons",
        ("certified", "Orton-Gillingham–trained", "bilingual"),
        ("children ages 4 to 8", "early readers"),
        (
            "phonics, sight words and a love of books",
            "structured literacy for struggling readers",
        ),
        ("phonics", "handwriting", "learning-differences"),
    ),
    "homework-help": TeachingProfile(
        "elementary teacher", "Homework help",
        ("certified", "NYC public school", "patient"),
        ("elementary schoolers", "kids in kindergarten through 5th grade"),
        (
            "homework routines, math facts and reading comprehension",
            "organization and study habits",
        ),
        ("elementary-math", "reading", "study-skills"),
    ),
    "pilates": TeachingProfile(
        "Pilates instructor", "Pilates sessions",
        ("STOTT-certified", "classically trained", "BASI-certified"),
        ("beginners and post-rehab clients", "all levels"),
        (
            "core strength, posture and mat work",
            "reformer-inspired mat sessions",
        ),
        ("barre", "stretching-mobility", "prenatal-yoga"),
    ),
    "meditation": TeachingProfile(
        "meditation teacher", "Meditation sessions",
        ("MBSR-certified", "longtime"),
        ("beginners and busy New Yorkers", "anyone managing stress"),
        (
            "mindfulness, breath awareness and building a daily habit",
            "stress reduction and better sleep",
        ),
        ("breathwork", "yoga", "life-coaching"),
    ),
    "acting": TeachingProfile(
        "acting coach", "Acting lessons",
        ("Juilliard-trained", "SAG-AFTRA", "Stella Adler–trained"),
        ("teens and adults", "actors preparing auditions"),
        (
            "scene study, monologues and audition technique",
            "Meisner technique and on-camera work",
        ),
        ("on-camera-acting", "audition-prep", "dialect-coaching"),
    ),
    "improv": TeachingProfile(
        "improv teacher", "Improv lessons",
        ("UCB-trained", "Second City–trained"),
        ("beginners and professionals", "shy people who want to loosen up"),
        (
            "yes-and, listening and building scenes",
            "improv for confidence at work",
        ),
        ("stand-up-comedy", "public-speaking", "acting"),
    ),
}  # fmt: skip

# The main service of each of the 60 instructors: every category is here, and the services
# students ask for most (piano, guitar, Spanish, SAT, math, swimming, tennis, yoga) several times.
DEMO_ROSTER = (
    "piano", "piano", "piano", "guitar", "guitar", "guitar", "violin", "voice", "drums",
    "spanish", "spanish", "spanish", "french", "mandarin-chinese", "esl",
    "middle-school-math", "algebra-2", "calculus", "statistics",
    "chemistry", "physics", "biology",
    "college-essays", "essay-writing", "history",
    "sat-prep", "sat-prep", "sat-prep", "act-prep", "shsat-prep", "lsat-prep",
    "python", "web-development", "scratch-coding", "data-science",
    "swimming", "swimming", "tennis", "tennis", "yoga", "yoga", "personal-training", "boxing", "basketball",
    "ballet", "salsa",
    "drawing", "photography",
    "pottery", "knitting",
    "home-cooking", "baking",
    "chess", "public-speaking",
    "early-literacy", "homework-help",
    "pilates", "meditation",
    "acting", "improv",
)  # fmt: skip

INTRO_TEMPLATES = (
    "I'm {someone} with {years} of teaching experience.",
    "I'm {someone} and have been teaching for {years}.",
    "As {someone}, I've been teaching for {years}.",
)
FOCUS_TEMPLATES = ("Lessons focus on {focus}.", "Together we work on {focus}.", "My lessons cover {focus}.")
# Words that stay capitalized mid-sentence (all-caps words like SAT or ESL always do).
PROPER_WORDS = {
    "American", "Arabic", "Argentine", "Cantonese", "Chinese", "Creole", "English", "French", "German",
    "Greek", "Haitian", "Hebrew", "Hindi", "Hunter", "Italian", "Japanese", "Java", "JavaScript", "K-Pop",
    "Korean", "Latin", "Mandarin", "Pilates", "Polish", "Portuguese", "Python", "Regents", "Russian",
    "Scratch", "Spanish", "Yiddish", "Excel", "C++", "DJing", "STEM",
}  # fmt: skip
PROPER_NAMES = {"American Sign Language", "Tai Chi"}
ACRONYMS_SAID_AS_WORDS = ("FIDE", "STOTT", "SAG", "RISD", "BASI", "DELE", "DELF", "TESOL", "CELTA", "TEDx")
GENERIC_OFFERING_DESCRIPTIONS = (
    "{name} for beginners through advanced students.",
    "Friendly, structured {name} lessons at your pace.",
    "{name} lessons tailored to your goals.",
)


# --- Places -------------------------------------------------------------------------------

BOROUGH_WEIGHTS = {"manhattan": 32, "brooklyn": 30, "queens": 20, "bronx": 10, "staten-island": 8}
NEIGHBORING_BOROUGHS = {
    "manhattan": ("brooklyn", "queens", "bronx"),
    "brooklyn": ("manhattan", "queens", "staten-island"),
    "queens": ("brooklyn", "manhattan", "bronx"),
    "bronx": ("manhattan", "queens"),
    "staten-island": ("brooklyn",),
}
SECOND_BOROUGH_CHANCE = 0.3
NEIGHBORHOODS_SAID_ON_THE = {"upper-west-side", "upper-east-side", "lower-east-side"}
NEIGHBORHOODS_SAID_IN_THE = {"east-village", "west-village", "financial-district"}


# --- Running it ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    created_people: bool
    accounts_created: int
    categories: int
    services: int
    boroughs: int
    neighborhoods: int
    live_instructors: int
    students: int


@transaction.atomic
def seed_demo_data() -> DemoSummary:
    """Load the catalog and areas, then (once) the demo people. Safe to run again."""
    categories, services = load_catalog()
    boroughs, neighborhoods = load_areas()
    accounts_created = 0
    created_people = not demo_people_exist()
    if created_people:
        rng = random.Random(DEMO_SEED)  # noqa: S311 - demo data, not security
        accounts_created += len(create_demo_logins())
        people = pick_names(rng, DEMO_INSTRUCTOR_COUNT + len(DEMO_STUDENT_TIMEZONES))
        accounts_created += len(create_demo_instructors(rng, people=people[:DEMO_INSTRUCTOR_COUNT]))
        accounts_created += len(create_demo_students(people=people[DEMO_INSTRUCTOR_COUNT:]))
    return DemoSummary(
        created_people=created_people,
        accounts_created=accounts_created,
        categories=categories,
        services=services,
        boroughs=boroughs,
        neighborhoods=neighborhoods,
        live_instructors=User.objects.filter(instructor_profile__is_live=True).count(),
        students=User.objects.filter(groups__name=roles.STUDENT).count(),
    )


def demo_people_exist() -> bool:
    return User.objects.filter(email=DEMO_STUDENT.email).exists()


def create_demo_logins() -> list[User]:
    student = register_user(
        email=DEMO_STUDENT.email,
        password=DEMO_PASSWORD,
        first_name=DEMO_STUDENT.first_name,
        last_name=DEMO_STUDENT.last_name,
        timezone="America/New_York",
        role=roles.STUDENT,
    )
    instructor = create_demo_instructor()
    # A staff role makes register_user set is_staff; the admin Group holds every permission.
    staff = register_user(
        email=DEMO_STAFF.email,
        password=DEMO_PASSWORD,
        first_name=DEMO_STAFF.first_name,
        last_name=DEMO_STAFF.last_name,
        timezone="America/New_York",
        role=roles.ADMIN,
    )
    enrol_known_key(user=staff, key_hex=DEMO_TOTP_KEY_HEX)
    return [student, instructor, staff]


def create_demo_instructor() -> User:
    """The printed instructor login: a complete live profile teaching piano and music theory."""
    spec = DEMO_INSTRUCTOR_PROFILE
    user = register_instructor(
        email=DEMO_INSTRUCTOR.email,
        password=DEMO_PASSWORD,
        first_name=DEMO_INSTRUCTOR.first_name,
        last_name=DEMO_INSTRUCTOR.last_name,
        timezone=INSTRUCTOR_TIMEZONE,
    )
    enrol_known_key(user=user, key_hex=DEMO_TOTP_KEY_HEX)
    profile = user.instructor_profile
    update_profile(
        profile=profile, headline=spec["headline"], bio=spec["bio"], years_experience=spec["years_experience"]
    )
    services = services_by_slug()
    for offering in spec["offerings"]:
        add_offering(profile=profile, **{**offering, "service": services[offering["service"]]})
    neighborhoods = Neighborhood.objects.filter(slug__in=spec["neighborhoods"])
    set_service_areas(profile=profile, neighborhood_ids=[n.pk for n in neighborhoods])
    return user


def create_demo_instructors(rng: random.Random, *, people: list[tuple[str, str]]) -> list[User]:
    services = services_by_slug()
    areas = neighborhoods_by_borough()
    main_services = list(DEMO_ROSTER)
    rng.shuffle(main_services)
    homes = home_boroughs(rng, len(people))
    return [
        create_one_demo_instructor(
            rng,
            first_name=first,
            last_name=last,
            main_service=main,
            services=services,
            neighborhoods=choose_neighborhoods(rng, home=home, areas=areas),
        )
        for (first, last), main, home in zip(people, main_services, homes, strict=True)
    ]


def create_one_demo_instructor(
    rng: random.Random,
    *,
    first_name: str,
    last_name: str,
    main_service: str,
    services: dict[str, Service],
    neighborhoods: list[Neighborhood],
) -> User:
    teaching = TEACHING_PROFILES[main_service]
    persona = choose_persona(rng, teaching=teaching)
    extra_count = min(len(teaching.related), rng.choice((0, 0, 1, 1, 2)))  # 1-3 services in all
    offered = [services[slug] for slug in [main_service, *rng.sample(teaching.related, extra_count)]]
    email = demo_email(first_name, last_name)
    offerings = [
        {
            **plan_offering(rng, service=service, persona=persona, is_main=index == 0),
            **choose_learners(service=service, audience=persona.audience if index == 0 else "", who=email),
        }
        for index, service in enumerate(offered)
    ]
    main_locations = offerings[0]["location_types"]

    user = register_instructor(
        email=email,
        password=DEMO_PASSWORD,
        first_name=first_name,
        last_name=last_name,
        timezone=INSTRUCTOR_TIMEZONE,
    )
    enrol_known_key(user=user, key_hex=DEMO_TOTP_KEY_HEX)
    profile = user.instructor_profile
    update_profile(
        profile=profile,
        headline=write_headline(
            rng, teaching=teaching, persona=persona, place=place_phrase(neighborhoods[0], main_locations)
        ),
        bio=write_bio(
            rng,
            teaching=teaching,
            persona=persona,
            style=CATEGORY_STYLES[offered[0].category.slug],
            also_teaches=[service_phrase(service.name) for service in offered[1:]],
            neighborhoods=neighborhoods,
            location_types=main_locations,
        ),
        years_experience=persona.years,
    )
    for offering in offerings:
        add_offering(profile=profile, **offering)
    set_service_areas(profile=profile, neighborhood_ids=[n.pk for n in neighborhoods])
    return user


def create_demo_students(*, people: list[tuple[str, str]]) -> list[User]:
    return [
        register_user(
            email=demo_email(first, last),
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            timezone=timezone,
            role=roles.STUDENT,
        )
        for (first, last), timezone in zip(people, DEMO_STUDENT_TIMEZONES, strict=True)
    ]


# --- Choosing -----------------------------------------------------------------------------


def services_by_slug() -> dict[str, Service]:
    services = {service.slug: service for service in Service.objects.select_related("category")}
    wanted = set(DEMO_ROSTER) | {slug for profile in TEACHING_PROFILES.values() for slug in profile.related}
    wanted |= {offering["service"] for offering in DEMO_INSTRUCTOR_PROFILE["offerings"]}
    missing = sorted(wanted - set(services))
    if missing:
        raise LookupError(f"The demo data names services missing from the catalog: {', '.join(missing)}")
    return services


def neighborhoods_by_borough() -> dict[str, list[Neighborhood]]:
    areas: dict[str, list[Neighborhood]] = {}
    for neighborhood in Neighborhood.objects.select_related("borough").order_by("borough__slug", "slug"):
        areas.setdefault(neighborhood.borough.slug, []).append(neighborhood)
    return areas


def pick_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Distinct first names (so emails are unique) paired with distinct last names."""
    demo_names = {login.first_name for login in DEMO_LOGINS}, {login.last_name for login in DEMO_LOGINS}
    firsts = rng.sample([name for name in FIRST_NAMES if name not in demo_names[0]], count)
    lasts = rng.sample([name for name in LAST_NAMES if name not in demo_names[1]], count)
    return list(zip(firsts, lasts, strict=True))


def demo_email(first_name: str, last_name: str) -> str:
    return f"{email_part(first_name)}.{email_part(last_name)}@{DEMO_EMAIL_DOMAIN}"


def email_part(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9-]", "", ascii_name.lower())


def experience_years(rng: random.Random) -> int:
    """1-30, most instructors between 3 and 15 years."""
    return min(30, max(1, round(rng.triangular(1, 30, 7))))


def home_boroughs(rng: random.Random, count: int) -> list[str]:
    """Every borough at least once, the rest weighted like the city's demand."""
    boroughs = list(BOROUGH_WEIGHTS)
    homes = boroughs + rng.choices(boroughs, weights=list(BOROUGH_WEIGHTS.values()), k=count - len(boroughs))
    rng.shuffle(homes)
    return homes


def choose_neighborhoods(rng: random.Random, *, home: str, areas: dict[str, list[Neighborhood]]) -> list[Neighborhood]:
    """2-6 neighborhoods in the home borough, sometimes a few in a neighboring one; home first."""
    count = rng.randint(2, 6)
    elsewhere = 0
    if rng.random() < SECOND_BOROUGH_CHANCE:
        other = rng.choice(NEIGHBORING_BOROUGHS[home])
        elsewhere = rng.randint(1, min(2, count - 1))
    chosen = rng.sample(areas[home], count - elsewhere)
    if elsewhere:
        chosen += rng.sample(areas[other], elsewhere)
    return chosen


@dataclass(frozen=True)
class Persona:
    """One instructor's voice, chosen once so headline, bio and prices agree."""

    years: int
    credential: str
    audience: str
    focus: str
    price_level: float  # 0-1: where, for their experience, they price within a service's range


def choose_persona(rng: random.Random, *, teaching: TeachingProfile) -> Persona:
    return Persona(
        years=experience_years(rng),
        credential=rng.choice(teaching.credentials),
        audience=rng.choice(teaching.audiences),
        focus=rng.choice(teaching.focus),
        price_level=rng.random(),
    )


def plan_offering(rng: random.Random, *, service: Service, persona: Persona, is_main: bool) -> dict:
    """The add_offering arguments for one service; the main one is described in the persona's words."""
    style = CATEGORY_STYLES[service.category.slug]
    return {
        "service": service,
        "hourly_rate_cents": hourly_rate_cents(slug=service.slug, style=style, persona=persona),
        "durations": sorted(rng.sample(style.durations, rng.randint(1, min(3, len(style.durations))))),
        "location_types": choose_location_types(rng, slug=service.slug, style=style),
        "description": sentence(persona.focus) if is_main else offering_description(rng, service=service),
    }


def hourly_rate_cents(*, slug: str, style: CategoryStyle, persona: Persona) -> int:
    """A rate in $5 steps within the service's usual range; experience moves it up."""
    low, high = RATE_OVERRIDES.get(slug, style.rate_dollars)
    position = 0.65 * min(persona.years, 25) / 25 + 0.35 * persona.price_level
    dollars = 5 * round((low + position * (high - low)) / 5)
    return min(high, max(low, dollars)) * 100


def choose_location_types(rng: random.Random, *, slug: str, style: CategoryStyle) -> list[str]:
    options = LOCATION_OVERRIDES.get(slug, style.location_types)
    chosen = set(rng.sample(options, rng.randint(1, len(options))))
    return [value for value in LocationType.values if value in chosen]


def choose_learners(*, service: Service, audience: str, who: str) -> dict:
    """Who an offering is for: the service's usual learners, or what the instructor's headline
    audience says (their main service). Levels the audience doesn't name come from a random
    seeded by the instructor and service alone, so adding learners changed no other demo choice."""
    rng = random.Random(f"{DEMO_SEED}:{who}:{service.slug}")  # noqa: S311 - demo data
    usual_ages = SERVICE_AGE_GROUPS.get(service.slug, CATEGORY_AGE_GROUPS[service.category.slug])
    spans, weights = list(LEVEL_SPANS), list(LEVEL_SPANS.values())
    return {
        "age_groups": list(AUDIENCE_AGE_GROUPS.get(audience, usual_ages)),
        "levels": list(AUDIENCE_LEVELS.get(audience) or rng.choices(spans, weights=weights)[0]),
    }


# --- Writing ------------------------------------------------------------------------------


def write_headline(rng: random.Random, *, teaching: TeachingProfile, persona: Persona, place: str) -> str:
    verb = "working with" if "teach" in teaching.title else "teaching"
    options = [
        f"{persona.credential} {teaching.title} {verb} {persona.audience} {place}",
        f"{teaching.lessons} for {persona.audience} {place}",
    ]
    if persona.years >= 3 and place != "online":
        options.append(f"{teaching.title} with {persona.years} years of experience {place}")
    headline = capitalize_first(rng.choice(options))
    return headline if len(headline) <= 120 else capitalize_first(f"{teaching.lessons} {place}")


def write_bio(
    rng: random.Random,
    *,
    teaching: TeachingProfile,
    persona: Persona,
    style: CategoryStyle,
    also_teaches: list[str],
    neighborhoods: list[Neighborhood],
    location_types: list[str],
) -> str:
    """Two to four sentences: who I am, what lessons cover, how I teach, what else or where."""
    someone = with_article(f"{persona.credential} {teaching.title}")
    sentences = [
        rng.choice(INTRO_TEMPLATES).format(someone=someone, years=years_phrase(persona.years)),
        rng.choice(FOCUS_TEMPLATES).format(focus=persona.focus),
    ]
    if rng.random() < 0.7:
        sentences.append(rng.choice(style.approach))
    if also_teaches:
        sentences.append(f"I also teach {join_words(also_teaches)}.")
    elif rng.random() < 0.8:
        sentences.append(where_i_teach(neighborhoods=neighborhoods, location_types=location_types))
    return " ".join(sentences)


def where_i_teach(*, neighborhoods: list[Neighborhood], location_types: list[str]) -> str:
    online_too = ", and also teach online" if ONLINE in location_types else ""
    if STUDENT in location_types:
        places = join_words([neighborhood_name(n) for n in neighborhoods[:3]])
        return f"I travel to students in {places}{online_too}."
    if STUDIO in location_types:
        studio = f"I teach at my studio in {neighborhood_name(neighborhoods[0])}"
        return f"{studio}{online_too}."
    if NEUTRAL in location_types:
        return f"We meet at a convenient spot near you in {borough_name(neighborhoods[0])}."
    return "All lessons are online, so you can learn from anywhere."


def offering_description(rng: random.Random, *, service: Service) -> str:
    teaching = TEACHING_PROFILES.get(service.slug)
    if teaching:
        return sentence(rng.choice(teaching.focus))
    return capitalize_first(rng.choice(GENERIC_OFFERING_DESCRIPTIONS).format(name=service_phrase(service.name)))


def service_phrase(name: str) -> str:
    """A catalog name as it reads mid-sentence: "Music Theory" -> "music theory", "SAT Prep" -> "SAT prep"."""
    if name in PROPER_NAMES:
        return name
    words = name.replace(" & ", " and ").split()
    return " ".join(word if word in PROPER_WORDS or word[:2].isupper() else word.lower() for word in words)


def place_phrase(neighborhood: Neighborhood, location_types: list[str]) -> str:
    """Where lessons happen, as a headline ends: "on the Upper West Side", "in Astoria", "online"."""
    if location_types == [ONLINE]:
        return "online"
    preposition = "on" if neighborhood.slug in NEIGHBORHOODS_SAID_ON_THE else "in"
    return f"{preposition} {neighborhood_name(neighborhood)}"


def neighborhood_name(neighborhood: Neighborhood) -> str:
    """As it reads in a sentence: "the East Village", "the Upper West Side", "Astoria"."""
    said_with_the = NEIGHBORHOODS_SAID_ON_THE | NEIGHBORHOODS_SAID_IN_THE
    return f"the {neighborhood.name}" if neighborhood.slug in said_with_the else neighborhood.name


def borough_name(neighborhood: Neighborhood) -> str:
    name = neighborhood.borough.name
    return "the " + name.removeprefix("The ") if name.startswith("The ") else name


def with_article(phrase: str) -> str:
    """ "a" or "an" by sound: an MIT-educated, a USPTA-certified, an RYT-500, a 99th-percentile."""
    first_word = phrase.split()[0]
    is_acronym = len(first_word) > 1 and first_word[:2].isupper() and not first_word.startswith(ACRONYMS_SAID_AS_WORDS)
    vowel_sound = first_word[0] in "AEFHILMNORSX" if is_acronym else first_word[0].lower() in "aeiou"
    return f"{'an' if vowel_sound else 'a'} {phrase}"


def years_phrase(years: int) -> str:
    return "1 year" if years == 1 else f"{years} years"


def join_words(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def sentence(phrase: str) -> str:
    return capitalize_first(phrase) + "."


def capitalize_first(text: str) -> str:
    return text[:1].upper() + text[1:]
