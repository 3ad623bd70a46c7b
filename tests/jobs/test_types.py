"""The API's objects made from rows as their own constructors would make them."""

import dataclasses
import uuid
from types import SimpleNamespace

from jobgraph.jobs.types import Company, Job, JobEdge


def test_an_edge_its_job_and_company_made_of_rows_are_what_their_init_makes():
    company_row = SimpleNamespace(id=uuid.uuid4(), name="Quokka Ltd")
    row = SimpleNamespace(id=uuid.uuid4(), title="Keeper", tags=["outdoors"])
    edge = JobEdge.of(row, company_row, "cursor")
    made = edge.node
    company = Company(id=str(company_row.id), name="Quokka Ltd", row=company_row)
    expected = Job(
        id=str(row.id),
        title="Keeper",
        tags=["outdoors"],
        row=row,
        company_row=company_row,
        loaded_company=company,
    )
    edge_expected = JobEdge(node=expected, cursor="cursor")
    # Every field __init__ sets, a new one included: one the shortcut forgot is missing.
    made_and_expected = (
        (JobEdge, edge, edge_expected),
        (Job, made, expected),
        (Company, made.loaded_company, company),
    )
    for kind, one, other in made_and_expected:
        for field in dataclasses.fields(kind):
            if field.init:
                assert getattr(one, field.name) == getattr(other, field.name), field.name
    assert Job.of(row).loaded_company is None
