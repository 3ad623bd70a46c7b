"""The policy module by itself, table by table: who sees which field of a resume, on which
site, by which path, and why; what resume search may filter on; what statistics publish.
The HTTP matrix (tests/resumes/) shows the same rules reach every resolver."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field

import pytest

from jobgraph.policy.config import Policy
from jobgraph.policy.disclosure import (
    ALL_FIELDS,
    Access,
    DisclosureLevel,
    Relationship,
    ResumeFacts,
    endpoint_disclosure,
    resume_disclosure,
    searchable_visibilities,
)
from jobgraph.policy.fields import (
    CONTACT_FIELDS,
    PERSONAL_FIELDS,
    SEARCH_FILTERS,
    ResumeField,
    ResumeVisibility,
)
from jobgraph.policy.statistics import (
    OTHER,
    best_guess,
    label_of,
    noise,
    noise_probability,
    release,
)
from jobgraph.viewer import Viewer, ViewerKind

PRIVATE, SEARCHABLE, PUBLIC = (
    ResumeVisibility.PRIVATE,
    ResumeVisibility.SEARCHABLE,
    ResumeVisibility.PUBLIC,
)
F = ResumeField


@dataclass(frozen=True)
class Site:
    """A site as the policy sees one (policy.site.Site)."""

    slug: str
    policy: Policy = field(default_factory=Policy)
    pool_id: str = "pool"
    site_name: str = "A site"
    is_partner_site: bool = False


JOB_BOARD = Site(
    "board",
    Policy(
        resume_visibilities=[PRIVATE, SEARCHABLE],
        application_disclosed_fields=list(ResumeField),
    ),
)
COMMUNITY = Site(
    "community",
    Policy(
        resume_visibilities=[PRIVATE, PUBLIC],
        application_disclosed_fields=[F.FULL_NAME, F.EMAIL, F.SKILLS],
        public_profile_fields=[F.FULL_NAME, F.SKILLS, F.HOBBIES],
    ),
)
# A partner of the job board that discloses less on application than the board does.
PARTNER = Site(
    "partner",
    Policy(
        resume_visibilities=[PRIVATE, SEARCHABLE],
        application_disclosed_fields=[F.FULL_NAME, F.SKILLS],
    ),
    is_partner_site=True,
    site_name="Partner Jobs",
)

SEEKER = uuid.uuid4()
COMPANY = uuid.uuid4()
OTHER_COMPANY = uuid.uuid4()
OWNER = Viewer(ViewerKind.ACCOUNT, account_id=SEEKER)
EMPLOYER = Viewer(ViewerKind.ACCOUNT, account_id=uuid.uuid4(), companies=frozenset({COMPANY}))
ANONYMOUS = Viewer.anonymous()
ADMIN = Viewer(
    ViewerKind.ACCOUNT, account_id=uuid.uuid4(), tenant_admin=True, second_factor_fresh=True
)
ADMIN_ON_A_PASSWORD = Viewer(ViewerKind.ACCOUNT, account_id=uuid.uuid4(), tenant_admin=True)


def resume(visibility: ResumeVisibility) -> ResumeFacts:
    return ResumeFacts(id=uuid.uuid4(), account_id=SEEKER, visibility=visibility)


SEARCH_DISCLOSES = ALL_FIELDS - PERSONAL_FIELDS

# (what happens, viewer, site, resume visibility, path, relationship, disclosed fields)
CASES = [
    ("the owner sees all", OWNER, JOB_BOARD, PRIVATE, Access.direct(),
     Relationship.OWNER, ALL_FIELDS),
    ("a private resume is nobody's to see", EMPLOYER, JOB_BOARD, PRIVATE, Access.direct(),
     Relationship.NONE, frozenset()),
    ("search finds a searchable resume, without personal data or last employer",
     EMPLOYER, JOB_BOARD, SEARCHABLE, Access.search(),
     Relationship.RESUME_SEARCH, SEARCH_DISCLOSES),
    ("search never finds a private resume", EMPLOYER, JOB_BOARD, PRIVATE, Access.search(),
     Relationship.NONE, frozenset()),
    ("a visitor cannot search", ANONYMOUS, JOB_BOARD, SEARCHABLE, Access.search(),
     Relationship.NONE, frozenset()),
    ("search on a site that does not offer SEARCHABLE finds nothing",
     EMPLOYER, COMMUNITY, SEARCHABLE, Access.search(), Relationship.NONE, frozenset()),
    ("an application discloses what the site says",
     EMPLOYER, COMMUNITY, PRIVATE, Access.application(COMPANY, active=True, site=COMMUNITY),
     Relationship.APPLICATION, frozenset({F.FULL_NAME, F.EMAIL, F.SKILLS})),
    ("a withdrawn application discloses nothing",
     EMPLOYER, JOB_BOARD, PRIVATE, Access.application(COMPANY, active=False, site=JOB_BOARD),
     Relationship.NONE, frozenset()),
    ("an application to another company discloses nothing",
     EMPLOYER, JOB_BOARD, PRIVATE, Access.application(OTHER_COMPANY, active=True, site=None),
     Relationship.NONE, frozenset()),
    ("an application made on a partner site: its narrower policy holds on the main site",
     EMPLOYER, JOB_BOARD, PRIVATE, Access.application(COMPANY, active=True, site=PARTNER),
     Relationship.APPLICATION, frozenset({F.FULL_NAME, F.SKILLS})),
    ("a public profile shows the site's public fields to anyone",
     ANONYMOUS, COMMUNITY, PUBLIC, Access.direct(),
     Relationship.PUBLIC_PROFILE, frozenset({F.FULL_NAME, F.SKILLS, F.HOBBIES})),
    ("PUBLIC means nothing on a site that does not offer it",
     ANONYMOUS, JOB_BOARD, PUBLIC, Access.direct(), Relationship.NONE, frozenset()),
    ("staff with a purpose see all", ADMIN, JOB_BOARD, PRIVATE, Access.staff("a complaint"),
     Relationship.STAFF_WITH_PURPOSE, ALL_FIELDS),
    ("staff without a purpose see nothing", ADMIN, JOB_BOARD, PRIVATE, Access.staff("  "),
     Relationship.NONE, frozenset()),
    ("staff without a second factor see nothing", ADMIN_ON_A_PASSWORD, JOB_BOARD, PRIVATE,
     Access.staff("a complaint"), Relationship.NONE, frozenset()),
    ("a purpose is no power: an employer stating one sees nothing",
     EMPLOYER, JOB_BOARD, PRIVATE, Access.staff("curiosity"), Relationship.NONE, frozenset()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("viewer", "site", "visibility", "access", "relationship", "disclosed"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_who_sees_what(viewer, site, visibility, access, relationship, disclosed):
    decision = resume_disclosure(viewer, site, resume(visibility), access)
    assert (decision.relationship, decision.disclosed) == (relationship, disclosed)
    assert decision.visible is (relationship is not Relationship.NONE)
    expected_level = (
        DisclosureLevel.NONE
        if not disclosed
        else DisclosureLevel.FULL
        if disclosed == ALL_FIELDS
        else DisclosureLevel.PARTIAL
    )
    assert decision.level is expected_level


def test_what_is_recorded_is_the_personal_data_shown_to_anyone_but_the_owner():
    owner = resume_disclosure(OWNER, JOB_BOARD, resume(PRIVATE), Access.direct())
    assert owner.recorded_fields == frozenset()
    applied = Access.application(COMPANY, active=True, site=COMMUNITY)
    employer = resume_disclosure(EMPLOYER, COMMUNITY, resume(PRIVATE), applied)
    assert employer.recorded_fields == {F.FULL_NAME, F.EMAIL}
    public = resume_disclosure(ANONYMOUS, COMMUNITY, resume(PUBLIC), Access.direct())
    assert public.recorded_fields == {F.FULL_NAME}


def test_a_field_the_partner_withheld_says_so_on_the_main_site():
    applied = Access.application(COMPANY, active=True, site=PARTNER)
    decision = resume_disclosure(EMPLOYER, JOB_BOARD, resume(PRIVATE), applied)
    assert decision.reason(F.EMAIL) == (
        "not disclosed on application by Partner Jobs, where the seeker applied"
    )
    assert not decision.allows(F.EMAIL) and decision.allows(F.FULL_NAME)


def _allowing_webhooks(site: Site, fields: list[ResumeField]) -> Site:
    policy = site.policy.model_copy(update={"webhook_applicant_fields": fields})
    return Site(site.slug, policy, site_name=site.site_name, is_partner_site=site.is_partner_site)


@pytest.mark.parametrize(
    ("registered_on", "applied_on", "active", "disclosed"),
    [
        # Nothing unless the site applied on allows it.
        (JOB_BOARD, JOB_BOARD, True, set()),
        (COMMUNITY, _allowing_webhooks(COMMUNITY, [F.FULL_NAME, F.PHONE]), True, {F.FULL_NAME}),
        (JOB_BOARD, _allowing_webhooks(JOB_BOARD, [F.EMAIL, F.SKILLS]), True, {F.EMAIL, F.SKILLS}),
        # Applied on the partner: what the partner discloses on application bounds it.
        (JOB_BOARD, _allowing_webhooks(PARTNER, [F.EMAIL, F.FULL_NAME]), True, {F.FULL_NAME}),
        # Withdrawn: nothing more.
        (JOB_BOARD, _allowing_webhooks(JOB_BOARD, [F.EMAIL]), False, set()),
    ],
)
def test_what_a_companys_webhook_receives_of_an_applicant(
    registered_on, applied_on, active, disclosed
):
    decision = endpoint_disclosure(registered_on, applied_on, active)
    assert decision.disclosed == disclosed
    assert decision.recorded_fields == disclosed & PERSONAL_FIELDS


def test_contact_details_are_never_public_whatever_a_site_says():
    with pytest.raises(ValueError, match="may never include EMAIL"):
        Policy(resume_visibilities=[PRIVATE, PUBLIC], public_profile_fields=[F.EMAIL])
    assert CONTACT_FIELDS <= PERSONAL_FIELDS


def test_resume_search_filters_only_on_what_it_discloses():
    """A filter on a withheld field would reveal it through what it finds."""
    searched = resume_disclosure(EMPLOYER, JOB_BOARD, resume(SEARCHABLE), Access.search())
    assert set(SEARCH_FILTERS.values()) <= searched.disclosed


@pytest.mark.parametrize(
    ("site", "searchable"),
    [(JOB_BOARD, [SEARCHABLE]), (COMMUNITY, [PUBLIC]), (Site("closed"), [SEARCHABLE])],
    ids=["searchable offered", "public offered", "the default policy"],
)
def test_which_visibilities_search_reaches(site, searchable):
    assert searchable_visibilities(site) == searchable


@pytest.mark.parametrize("epsilon", [0.1, 0.25, 0.5, 1.0])
def test_one_seeker_moves_a_released_count_by_at_most_e_to_the_epsilon(epsilon):
    """The guarantee, from the mechanism's own distribution (no sampling): whatever a
    count was released as, it was at most e^epsilon times more likely with one seeker more
    than without, and the best attacker who knows everyone else (guessing from the
    released value whether the seeker is counted) is right at most e^e / (1 + e^e)."""
    support = range(-400, 401)
    without = {k: noise_probability(k, epsilon) for k in support}
    with_one = {k: noise_probability(k - 1, epsilon) for k in support}
    assert sum(without.values()) == pytest.approx(1.0)
    assert max(with_one[k] / without[k] for k in support) <= math.exp(epsilon) * (1 + 1e-9)
    attacker = sum(max(without[k], with_one[k]) for k in support) / 2
    assert attacker <= best_guess(epsilon) + 1e-9


def test_the_noise_drawn_has_the_distribution_the_bound_assumes():
    rng = random.Random(20261203)  # a fixed seed: the same draws every run
    epsilon = 0.25
    draws = [noise(epsilon, rng) for _ in range(20_000)]
    for k in (-2, 0, 3):
        share = draws.count(k) / len(draws)
        expected = noise_probability(k, epsilon)
        assert abs(share - expected) < 5 * math.sqrt(expected / len(draws)), (k, share)


def test_a_label_is_never_a_seekers_own_text():
    vocabulary = ["Philippines", "Vietnam"]
    assert label_of("vietnam ", vocabulary) == "Vietnam"
    assert label_of("Zzland, my village", vocabulary) == OTHER
    assert label_of(None, vocabulary) is None
    released = release({"nationality": {"Zzland, my village": 50}}, Policy(), random.Random(1))
    assert "Zzland, my village" not in {label for label, _ in released["nationality"]}


def test_every_filter_of_candidate_search_is_one_the_policy_allows():
    """The schema's searchCandidates takes exactly the policy's filters (and whose search
    it is, and how many): a new filter is a change of the policy first."""
    from strawberry.utils.str_converters import to_camel_case

    from jobgraph.graphql.schema import schema

    arguments = schema._schema.query_type.fields["searchCandidates"].args
    assert set(arguments) - {"companyId", "first"} == {to_camel_case(f) for f in SEARCH_FILTERS}


# For each key a partner may not widen: a main site's setting and a partner's wider one.
WIDER_THAN_THE_MAIN_SITE = {
    "resume_visibilities": (
        {"resume_visibilities": ["PRIVATE"]},
        {"resume_visibilities": ["PRIVATE", "SEARCHABLE"]},
    ),
    "application_disclosed_fields": (
        {"application_disclosed_fields": ["FULL_NAME"]},
        {"application_disclosed_fields": ["FULL_NAME", "EMAIL"]},
    ),
    "public_profile_fields": (
        {"resume_visibilities": ["PRIVATE", "PUBLIC"], "public_profile_fields": ["SKILLS"]},
        {"resume_visibilities": ["PRIVATE", "PUBLIC"], "public_profile_fields": ["FULL_NAME"]},
    ),
    "webhook_applicant_fields": ({}, {"webhook_applicant_fields": ["FULL_NAME", "EMAIL"]}),
    "third_party_disclosure": ({}, {"third_party_disclosure": "CONSENT_OR_LAW"}),
    "require_staff_second_factor": ({}, {"require_staff_second_factor": False}),
    "invitations_enabled": ({"invitations_enabled": False}, {}),
    "data_uses": ({"data_uses": ["STATISTICS"]}, {"data_uses": ["STATISTICS", "RESUME_SEARCH"]}),
    "statistics_min_cell": ({"statistics_min_cell": 8}, {"statistics_min_cell": 3}),
    "statistics_epsilon": ({"statistics_epsilon": 0.5}, {"statistics_epsilon": 1.0}),
    "statistics_release_days": ({"statistics_release_days": 30}, {"statistics_release_days": 1}),
    "statistics_yearly_budget": (
        {"statistics_yearly_budget": 4.0},
        {"statistics_yearly_budget": 12.0},
    ),
}


def test_every_policy_key_has_one_rule_against_the_main_sites():
    """A key added to the policy without saying how a partner relates to its main site
    fails here; so does a ceiling that nothing shows a partner cannot pass."""
    from jobgraph.policy.config import PARTNER_CEILING, Ceiling, Policy

    assert set(PARTNER_CEILING) == set(Policy.model_fields)
    bounded = {key for key, ceiling in PARTNER_CEILING.items() if ceiling is not Ceiling.OWN}
    assert set(WIDER_THAN_THE_MAIN_SITE) == bounded


@pytest.mark.parametrize("key", sorted(WIDER_THAN_THE_MAIN_SITE))
def test_a_partner_cannot_widen_any_bounded_key(key):
    from jobgraph.policy.config import Policy, partner_excess

    parent, partner = WIDER_THAN_THE_MAIN_SITE[key]
    main_site = Policy.model_validate(parent)
    assert partner_excess(Policy.model_validate(parent), main_site) == [], "equal is fine"
    problems = dict(partner_excess(Policy.model_validate(partner), main_site))
    assert list(problems) == [f"policy.{key}"], problems


def test_padding_one_group_on_both_sites_is_right_no_more_often_than_the_bound():
    """The attack across two sites: the attacker pads a group to just below the minimum on
    the main site and on the partner, knows every other seeker, and guesses from both
    releases (two losses of epsilon: 2 epsilon) whether the victim is in it. Over many
    victims (a fixed seed: the same draws every run) it is right no more often than the
    bound 2 epsilon implies."""
    rng = random.Random(3)
    policy = Policy()
    epsilon = policy.statistics_epsilon / 4  # one attribute's share of a release
    padded = policy.statistics_min_cell - 1
    right, trials = 0, 20_000
    for trial in range(trials):
        victim_in = trial % 2 == 0
        true = padded + victim_in
        both = [true + noise(epsilon, rng) for _site in ("main", "partner")]
        guess = sum(both) - 2 * padded >= 1  # halfway between 0 and 2: the best cut
        right += guess == victim_in
    success = right / trials
    assert success <= best_guess(2 * epsilon) + 3 * math.sqrt(0.25 / trials), success
    assert success > 0.5, "the attack is a real one: better than a coin"
