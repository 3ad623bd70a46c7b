"""The operations the console opens with: an employer's daily work, one tab each. A test
validates every one against the schema, so they cannot drift from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobgraph.policy.fields import DataUse
from jobgraph.tenancy.config import TenantConfig

# Filled in by the console once the employer signs in (console.js, startSession), so that
# every example runs as shipped: the ids of their company, their newest posting with
# applications (else their newest posting), its first application, and a candidate.
COMPANY_PLACEHOLDER = "(sign in: your company's id is filled in)"
JOB_PLACEHOLDER = "(sign in: your newest posting's id is filled in)"
APPLICATION_PLACEHOLDER = "(sign in: an application's id is filled in)"
CANDIDATE_PLACEHOLDER = "(sign in: a candidate's id is filled in)"
PLACEHOLDERS = {
    "companyId": COMPANY_PLACEHOLDER,
    "jobId": JOB_PLACEHOLDER,
    "applicationId": APPLICATION_PLACEHOLDER,
    "candidateId": CANDIDATE_PLACEHOLDER,
}


def _always(config: TenantConfig) -> bool:
    return True


def _resume_search(config: TenantConfig) -> bool:
    return DataUse.RESUME_SEARCH in config.policy.data_uses


def _invitations(config: TenantConfig) -> bool:
    return _resume_search(config) and config.policy.invitations_enabled


@dataclass(frozen=True)
class Example:
    title: str
    query: str
    variables: dict[str, Any]
    # Offered only where the site allows what it does.
    offered: Callable[[TenantConfig], bool] = _always


EXAMPLES = (
    Example(
        "Search candidates",
        """# Searchable resumes, as this site discloses them to employers: personal data
# and the last employer are withheld (see disclosure.withheldFields).
query SearchCandidates($companyId: ID!) {
  searchCandidates(companyId: $companyId, first: 10) {
    candidateId
    resume {
      disclosure { level withheldFields }
      fullName
      phone
      careerLevel
      educationLevel
      skills
      desiredLocations
    }
  }
}
""",
        {"companyId": COMPANY_PLACEHOLDER},
        _resume_search,
    ),
    Example(
        "Post a job",
        """# Creates a draft; publish it with publishJob(id: ...) when it is ready.
mutation PostAJob($input: JobInput!) {
  createJob(input: $input) { id status title }
}
""",
        {
            "input": {
                "companyId": COMPANY_PLACEHOLDER,
                "title": "Backend engineer (Python)",
                "description": "Build our GraphQL services. Japanese: conversational.",
                "category": "ENGINEERING",
                "employmentType": "FULL_TIME",
                "prefecture": "Tokyo",
                "salaryMin": 6000000,
                "salaryMax": 9000000,
                # Named, though false by default: GraphiQL's editor marks a missing
                # Boolean! = false as missing.
                "visaSponsorship": False,
                "tags": ["python", "graphql"],
            }
        },
    ),
    Example(
        "My postings",
        """query MyPostings {
  employerJobs(first: 20) {
    totalCount
    edges { node { id title status publishedAt applicantCount viewCount } }
  }
}
""",
        {},
    ),
    Example(
        "Invite a candidate",
        """# candidateId comes from a candidate search; jobId from My postings.
mutation InviteCandidate($companyId: ID!, $candidateId: String!, $jobId: ID!) {
  inviteCandidate(
    companyId: $companyId
    candidateId: $candidateId
    jobId: $jobId
    message: "We would like to talk with you about this position."
  )
}
""",
        {
            "companyId": COMPANY_PLACEHOLDER,
            "candidateId": CANDIDATE_PLACEHOLDER,
            "jobId": JOB_PLACEHOLDER,
        },
        _invitations,
    ),
    Example(
        "Review applicants",
        """# What a seeker who applied discloses to you follows this site's policy.
query ReviewApplicants($jobId: ID!) {
  applicants(jobId: $jobId) {
    id
    status
    appliedAt
    coverNote
    candidate { disclosure { level withheldFields } fullName email skills careerLevel }
  }
}
""",
        {"jobId": JOB_PLACEHOLDER},
    ),
    Example(
        "New applicants, live",
        """# Runs until you stop it: each new application to your postings appears as it
# arrives, disclosed as this site's policy says (and recorded, as a query's would be).
subscription NewApplicants {
  applicationReceived {
    id
    status
    appliedAt
    job { id title }
    candidate { disclosure { level withheldFields } fullName email skills }
  }
}
""",
        {},
    ),
    Example(
        "Move an application",
        """mutation MoveApplication($id: ID!, $status: ApplicationStatus!) {
  moveApplication(id: $id, status: $status) { id status }
}
""",
        {"id": APPLICATION_PLACEHOLDER, "status": "INTERVIEW"},
    ),
)


def examples_for(config: TenantConfig) -> list[Example]:
    return [example for example in EXAMPLES if example.offered(config)]
