"""One lookup for "this object, or not found": a stranger's object is answered like a missing one."""

from __future__ import annotations

import pytest

from core.db import get_or_not_found
from core.errors import NotFound
from core.models import Company
from status_tracker.companies import create_company
from tests.conftest import make_uscc


def test_the_row_missing_or_hidden_is_not_found(sessions) -> None:
    with sessions() as session:
        company = create_company(session, name="公司", uscc=make_uscc(9001), customs_code=None)
        session.flush()
        assert get_or_not_found(session, Company, company.id, "company") is company
        with pytest.raises(NotFound, match="^no such company$"):
            get_or_not_found(session, Company, company.id + 1, "company")
        with pytest.raises(NotFound, match="^no such company$"):
            get_or_not_found(session, Company, company.id, "company", lambda row: row.name != "公司")
