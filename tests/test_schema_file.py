from jobgraph.graphql.schema import schema_sdl
from jobgraph.settings import PROJECT_ROOT


def test_schema_graphql_is_the_schema_the_code_serves():
    committed = (PROJECT_ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == schema_sdl(), (
        "schema.graphql differs from the code's schema: run `make schema` "
        "(or `.venv/bin/jobgraph export-schema`) and commit the result"
    )
