"""Preference templates for reasoning quality: logical_coherence, step_validity,
conclusion_soundness, evidence_quality and counter_argument.
"""

from __future__ import annotations

import random

from training.datasets.preference_templates.text import PEOPLE, PairText, Template, num


_RELATIONS = (("taller", "tallest"), ("older", "oldest"), ("faster", "fastest"), ("heavier", "heaviest"))


def _coherence_transitive(rng: random.Random) -> PairText:
    first, middle, last = rng.sample(PEOPLE, 3)
    comparative, superlative = rng.choice(_RELATIONS)
    prompt = (f"{first} is {comparative} than {middle}, and {middle} is {comparative} than {last}. Who is "
              f"the {superlative} of the three?")
    chosen = (f"{first}. {first} is {comparative} than {middle}, who is {comparative} than {last}, so "
              f"{first} is {comparative} than both and is the {superlative}.")
    rejected = (f"{first} is {comparative} than {middle}, who is {comparative} than {last}. So {last} is the "
                f"{superlative}.")
    return prompt, chosen, rejected


_SYLLOGISMS = (("poodles", "dogs", "mammals"), ("squares", "rectangles", "parallelograms"),
               ("Python lists", "sequences", "iterables"), ("senior engineers", "engineers", "employees"),
               ("violins", "string instruments", "musical instruments"), ("oaks", "trees", "plants"))


def _coherence_syllogism(rng: random.Random) -> PairText:
    a, b, c = rng.choice(_SYLLOGISMS)
    prompt = f"All {a} are {b}. All {b} are {c}. Does it follow that all {a} are {c}?"
    chosen = (f"Yes. Every one of the {a} is one of the {b}, and every one of the {b} is one of the {c}, so "
              f"every one of the {a} is one of the {c}.")
    rejected = (f"All {a} are {b}, and all {b} are {c}. But that does not mean the {a} are {c}, since some "
                f"of the {a} might not be {c}. So no, it does not follow.")
    return prompt, chosen, rejected


_CONDITIONALS = (
    ("the nightly build passes", "every unit test ran", "not every unit test ran"),
    ("the deployment succeeded", "the health check returned 200", "the health check did not return 200"),
    ("the invoice was paid", "a receipt was emailed", "no receipt was emailed"),
    ("the backup finished", "the checksum file was written", "the checksum file was not written"),
    ("the user is an admin", "they can see the settings page", "they cannot see the settings page"),
)


def _coherence_modus_tollens(rng: random.Random) -> PairText:
    premise, consequence, negated = rng.choice(_CONDITIONALS)
    prompt = f"Rule: if {premise}, then {consequence}. Today {negated}. Can we conclude that {premise}?"
    chosen = (f"No — in fact we can conclude the opposite. The rule says {premise} only if {consequence}. "
              f"Since {negated}, it is not the case that {premise}.")
    rejected = (f"The rule says that if {premise}, then {consequence}. Today {negated}. Even so, we can "
                f"conclude that {premise}.")
    return prompt, chosen, rejected


def _fraction_text(numerator: int, denominator: int) -> str:
    if numerator % denominator == 0:
        return str(numerator // denominator)
    return f"{numerator}/{denominator} ≈ {num(numerator / denominator)}"


def _steps_linear(rng: random.Random) -> PairText:
    a = rng.randint(2, 9)
    x = rng.randint(-10, 15)
    b = rng.choice([v for v in range(-20, 21) if v != 0])
    c = a * x + b
    sign = "+" if b > 0 else "-"
    prompt = f"Solve {a}x {sign} {abs(b)} = {c}, showing each step."
    chosen = (f"1. Subtract {b} from both sides: {a}x = {c} - ({b}) = {c - b}.\n2. Divide both sides by {a}: "
              f"x = {c - b} / {a} = {x}.\nCheck: {a}·{x} {sign} {abs(b)} = {c}. ✓")
    wrong = c + b
    rejected = (f"1. Move {b} to the other side: {a}x = {c} + ({b}) = {wrong}.\n2. Divide both sides by {a}: "
                f"x = {_fraction_text(wrong, a)}.")
    return prompt, chosen, rejected


def _steps_discounts(rng: random.Random) -> PairText:
    price = rng.choice((40, 80, 120, 150, 200, 250))
    first, second = rng.choice((10, 20, 25, 30)), rng.choice((10, 15, 20))
    item = rng.choice(("jacket", "monitor", "chair", "backpack", "printer"))
    prompt = (f"A {item} costs {price} €. It is discounted by {first} %, and then a further {second} % is "
              "taken off the reduced price. What is the final price?")
    after_first = price * (1 - first / 100)
    final = after_first * (1 - second / 100)
    chosen = (f"1. After {first} % off: {price} × {num(1 - first / 100)} = {num(after_first)} €.\n2. After a "
              f"further {second} % off the reduced price: {num(after_first)} × {num(1 - second / 100)} = "
              f"{num(final)} €.\nFinal price: {num(final)} € (a total discount of "
              f"{num(100 - final / price * 100)} %, not {first + second} %).")
    wrong = price * (1 - (first + second) / 100)
    rejected = (f"1. The discounts add up: {first} % + {second} % = {first + second} %.\n2. {price} × "
                f"{num(1 - (first + second) / 100)} = {num(wrong)} €.\nFinal price: {num(wrong)} €.")
    return prompt, chosen, rejected


def _steps_average_speed(rng: random.Random) -> PairText:
    distance = rng.choice((30, 60, 90, 120))
    out_speed, back_speed = rng.sample((30, 40, 60, 80, 90, 120), 2)
    prompt = (f"I drive {distance} km to a town at {out_speed} km/h and come back the same way at "
              f"{back_speed} km/h. What is my average speed for the round trip?")
    t_out, t_back = distance / out_speed, distance / back_speed
    average = 2 * distance / (t_out + t_back)
    chosen = (f"1. Time out: {distance} / {out_speed} = {num(t_out)} h. Time back: {distance} / {back_speed} "
              f"= {num(t_back)} h.\n2. Total: {2 * distance} km in {num(t_out + t_back)} h.\n3. Average "
              f"speed = {2 * distance} / {num(t_out + t_back)} = {num(average)} km/h.")
    rejected = (f"1. Average the two speeds: ({out_speed} + {back_speed}) / 2.\n2. That gives "
                f"{num((out_speed + back_speed) / 2)} km/h.")
    return prompt, chosen, rejected


def _steps_up_down(rng: random.Random) -> PairText:
    price = rng.choice((50, 80, 100, 200, 400))
    percent = rng.choice((10, 20, 25, 40, 50))
    thing = rng.choice(("share price", "monthly rent", "subscription fee", "ticket price"))
    prompt = (f"A {thing} of {price} € rises by {percent} % and then falls by {percent} %. Is it back to "
              f"{price} €?")
    up = price * (1 + percent / 100)
    down = up * (1 - percent / 100)
    chosen = (f"No.\n1. After the rise: {price} × {num(1 + percent / 100)} = {num(up)} €.\n2. The fall is "
              f"{percent} % of the new, larger amount: {num(up)} × {num(1 - percent / 100)} = {num(down)} "
              f"€.\nIt ends {num(price - down)} € lower than it started.")
    rejected = (f"Yes.\n1. The rise adds {percent} %.\n2. The fall removes {percent} %.\nThe two cancel out, "
                f"so it is back to {price} €.")
    return prompt, chosen, rejected


_CORRELATIONS = (
    ("ice cream sales", "sunburn cases", "hot, sunny weather"),
    ("firefighters sent to a fire", "fire damage", "the size of the fire"),
    ("Slack channels per team", "production incidents", "team and system size"),
    ("RAM in a server", "crashes in its logs", "running the heaviest workloads"),
    ("libraries in a city", "reported crimes", "population size"),
    ("coffee drunk by developers", "bugs committed", "deadline pressure and late nights"),
)


def _soundness_correlation(rng: random.Random) -> PairText:
    cause, effect, confounder = rng.choice(_CORRELATIONS)
    r = rng.choice((0.62, 0.7, 0.78, 0.85))
    prompt = (f"Our data shows that {cause} and {effect} are strongly correlated (r = {r}). So more {cause} "
              f"leads to more {effect}, right?")
    chosen = (f"Not from this data alone. A correlation of {r} shows they move together, not that one drives "
              f"the other. A likely common cause is {confounder}, which raises both. To test causation you "
              f"would need to control for {confounder} or run an experiment that changes the amount of "
              f"{cause} and nothing else.")
    rejected = (f"Yes. A correlation of {r} is strong, so more {cause} clearly leads to more {effect}. "
                f"Cutting {cause} will reduce {effect}.")
    return prompt, chosen, rejected


def _soundness_small_sample(rng: random.Random) -> PairText:
    users = rng.choice((12, 16, 20, 24, 30))
    a_conv = rng.randint(1, users // 4)
    b_conv = a_conv + rng.randint(1, 3)
    feature = rng.choice(("checkout button", "sign-up form", "pricing page", "onboarding email"))
    hours = rng.choice((2, 3, 6))
    prompt = (f"We A/B-tested a new {feature} for {hours} hours with {users} users per variant. A converted "
              f"{a_conv} users, B converted {b_conv}. Can we conclude B is better and ship it?")
    chosen = (f"Not yet. B converted {num(b_conv / users * 100)} % vs {num(a_conv / users * 100)} % for A, "
              f"but that is a difference of {b_conv - a_conv} user(s) out of {users} — well within chance at "
              f"this sample size, and {hours} hours misses daily and weekly patterns. Decide the sample size "
              "in advance with a power calculation, run the test for at least a full week, and check "
              "significance before shipping.")
    rejected = (f"Yes. B converted {num(b_conv / users * 100)} % vs {num(a_conv / users * 100)} % for A, so "
                "B is better. Ship it.")
    return prompt, chosen, rejected


_CONSEQUENTS = (
    ("the cache is cold", "the first request is slow", "a slow database, network latency or a large payload"),
    ("the disk is full", "the upload fails", "a permissions problem, a size limit or a network error"),
    ("it rained", "the street is wet", "street cleaning or a burst pipe"),
    ("the API key expired", "requests return 401", "a wrong key, a missing header or a revoked permission"),
    ("the battery is dead", "the laptop won't turn on", "a faulty charger or a broken power button"),
)


def _soundness_consequent(rng: random.Random) -> PairText:
    condition, result, others = rng.choice(_CONSEQUENTS)
    prompt = f"If {condition}, {result}. I observed that {result}. So {condition}, right?"
    chosen = (f"Not necessarily. The rule only says that {condition} leads to this; it doesn't say it is the "
              f"only cause. The same symptom could come from {others}. Check directly whether {condition} "
              "before acting on it.")
    rejected = f"Yes. Since {result}, {condition}."
    return prompt, chosen, rejected


_CLAIMS = (
    ("switching our API from JSON to MessagePack will make it noticeably faster",
     "a benchmark of your real payloads measuring serialisation time and end-to-end latency, plus a profile "
     "showing how much of each request is spent serialising today"),
    ("adding more RAM will fix our slow CI builds",
     "build timings with resource monitoring that show whether the runners actually hit memory limits or "
     "swap"),
    ("pair programming halves our bug rate",
     "defect counts for comparable work done with and without pairing over several months, ideally with a "
     "controlled comparison"),
    ("our new onboarding flow improves retention",
     "a randomised A/B test with enough users and a pre-registered retention metric"),
    ("this supplement improves memory",
     "randomised, double-blind, placebo-controlled trials and systematic reviews of them"),
    ("moving to a new frontend framework will double our productivity",
     "delivery metrics (lead time, defect rate) of a pilot team compared with a similar team that didn't "
     "switch"),
    ("dark mode saves a lot of battery on every phone",
     "battery measurements on the devices you care about, since the effect depends on the screen technology"),
    ("standing desks make people more productive",
     "controlled studies that measure actual output rather than how productive people feel"),
    ("a new test framework will make our tests less flaky",
     "flake rates per test over many CI runs and the root causes of today's failures"),
)
_ANECDOTES = ("a colleague tried it once and it felt better", "a popular post online said so",
              "lots of people in a forum thread agree", "a vendor's marketing page claims it",
              "an influencer with a huge following recommends it", "my uncle swears by it")


def _evidence_claim(rng: random.Random) -> PairText:
    claim, good = rng.choice(_CLAIMS)
    anecdote = rng.choice(_ANECDOTES)
    opener = rng.choice(
        ("I keep hearing that", "Someone told me that", "Apparently", "My team believes that"))
    prompt = f"{opener} {claim}. The source: {anecdote}. Is it true?"
    chosen = (f"That isn't strong evidence: \"{anecdote}\" is an anecdote or comes from an interested party, "
              f"with no control for other explanations. Reliable evidence would be {good}. Until you have "
              "that, treat the claim as unproven rather than true or false.")
    rejected = f"Yes — {anecdote}, and that's good enough. It's true that {claim}."
    return prompt, chosen, rejected


_EVIDENCE_CHOICES = (
    ("whether a new onboarding flow improves retention", "three customers emailed to say they love it",
     "a randomised A/B test with 12,000 new users over four weeks"),
    ("whether a medication works", "a neighbour felt better after taking it",
     "a double-blind randomised controlled trial with 2,000 participants"),
    ("whether a code change made the service faster", "the developer says the page feels snappier",
     "p50 and p99 latency from production metrics for a week before and after the change"),
    ("whether remote work affects productivity", "a CEO's opinion piece",
     "a study comparing output of randomly assigned remote and office groups"),
    ("whether a database index speeds up our report", "the query felt faster once after adding it",
     "EXPLAIN ANALYZE timings of the query before and after, repeated several times"),
    ("whether the new search ranking is better", "the product owner likes the top results for two queries",
     "relevance ratings on 500 sampled queries by raters who don't know which ranking they see"),
    ("whether a tutoring programme raises grades", "a teacher remembers two students who improved",
     "grades of students randomly assigned to tutoring versus a control group over a school year"),
)


def _evidence_compare(rng: random.Random) -> PairText:
    question, weak, strong = rng.choice(_EVIDENCE_CHOICES)
    options = [weak, strong]
    rng.shuffle(options)
    strong_label = "A" if options[0] == strong else "B"
    weak_label = "B" if strong_label == "A" else "A"
    prompt = (f"Which is better evidence for {question}?\nA: {options[0]}\nB: {options[1]}")
    chosen = (f"{strong_label}. {strong[0].upper() + strong[1:]} is systematic, measured and large enough to "
              f"separate a real effect from chance; {weak_label} is anecdotal and open to bias.")
    rejected = (f"{weak_label}. {weak[0].upper() + weak[1:]} is real-world feedback from actual people, "
                "which is more convincing than numbers.")
    return prompt, chosen, rejected


_PROPOSALS = (
    ("split our monolith into microservices",
     ("teams can deploy their parts independently", "hot components can be scaled separately"),
     ("network calls add latency and new failure modes", "distributed data and transactions are much harder",
      "the operational overhead is large for a small team")),
    ("adopt TypeScript in our JavaScript codebase",
     ("many bugs are caught at compile time", "editors give reliable autocompletion and refactoring"),
     ("a build step and type definitions to maintain", "a learning curve and slower prototyping at first")),
    ("let everyone work fully remote",
     ("access to a wider hiring pool", "no commute, more focus time"),
     ("onboarding and mentoring juniors is harder",
      "informal knowledge sharing drops unless it is designed in")),
    ("rewrite our backend in Rust",
     ("memory safety without a garbage collector", "predictable performance"),
     ("a rewrite freezes features for months",
      "the team would have to learn a hard language while shipping")),
    ("require two reviewers on every pull request",
     ("more bugs and design problems caught before merge", "knowledge spreads to more people"),
     ("changes wait longer to merge", "reviews can become rubber stamps when everyone is busy")),
    ("move our infrastructure to Kubernetes",
     ("a standard way to deploy, scale and heal services", "a large ecosystem of tooling"),
     ("significant complexity to run and secure", "overkill for a handful of services")),
    ("switch our public API from REST to GraphQL",
     ("clients fetch exactly what they need in one request", "a typed schema that documents itself"),
     ("existing clients must migrate or both APIs must be kept", "caching and rate limiting get harder")),
    ("adopt a four-day work week",
     ("better retention and easier hiring", "rested people often do more focused work"),
     ("customer support coverage has to be rethought", "some deadlines get harder to hit")),
    ("drop unit tests and rely on end-to-end tests",
     ("tests that exercise what users actually do", "less test code to maintain"),
     ("end-to-end tests are slow and flaky", "a failure says little about where the bug is")),
    ("move from our own servers to a public cloud",
     ("no hardware to buy or replace", "capacity on demand for peaks"),
     ("costs can grow quickly without careful monitoring", "dependence on one vendor's services")),
)


def _counter_argument(rng: random.Random) -> PairText:
    proposal, pros, cons = rng.choice(_PROPOSALS)
    team = rng.choice((4, 6, 12, 30, 80))
    horizon = rng.choice(("", " this quarter", " next year", " before our next major release"))
    prompt = f"Should our team of {team} engineers {proposal}{horizon}?"
    pro_lines = "\n".join(f"- {item}" for item in pros)
    con_lines = "\n".join(f"- {item}" for item in cons)
    if team <= 12:
        verdict = (f"with {team} engineers the costs weigh heavily; I'd start with a small, reversible step "
                   "and measure whether the benefits show up before committing.")
    else:
        verdict = (f"with {team} engineers the benefits are more likely to pay off, but plan explicitly for "
                   "the costs above, and pilot it with one team first.")
    chosen = (f"Arguments for:\n{pro_lines}\n\nThe strongest arguments against, which deserve a real "
              f"answer:\n{con_lines}\n\nOn balance, {verdict}")
    rejected = (f"Yes, absolutely {proposal}.\n{pro_lines}\n\nThe only people who object are the ones who "
                "resist any change, so their arguments aren't worth considering.")
    return prompt, chosen, rejected


TEMPLATES: dict[str, tuple[Template, ...]] = {
    "logical_coherence": (_coherence_transitive, _coherence_syllogism, _coherence_modus_tollens),
    "step_validity": (_steps_linear, _steps_discounts, _steps_average_speed, _steps_up_down),
    "conclusion_soundness": (_soundness_correlation, _soundness_small_sample, _soundness_consequent),
    "evidence_quality": (_evidence_claim, _evidence_compare),
    "counter_argument": (_counter_argument,),
}
