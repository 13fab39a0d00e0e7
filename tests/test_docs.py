"""The documents that describe the code stay true to it."""

from pathlib import Path

from workflow.diagram import all_diagrams

ROOT = Path(__file__).resolve().parents[1]


def test_architecture_page_carries_the_generated_diagrams():
    page = (ROOT / "docs" / "architecture.md").read_text()
    assert all_diagrams() in page, "regenerate with: make docs"


def test_readme_names_the_two_commands_and_postgres():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme and "DATABASE_URL" in readme
