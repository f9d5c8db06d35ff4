"""The simulator's counter (``gongji his-scan``, issue 13 §1): the cashier pastes the text of the
citizen's 医保码 and the whole visit 1101 → 2201 → 2206 → 2207 runs on that credential; the same
code cannot open a second visit. In process, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from gongji.entrypoints import his_counter
from gongji.entrypoints.api.app import create_app
from tests import nhsa_support as N
from tests import support as S

HOSPITAL = "H62070200077"


def test_a_pasted_qr_code_settles_one_visit_and_only_one(gj):
    office = S.staff(gj, ["620000"])
    person = S.employee(gj, office, region="620702", name="吴扫码", birth=date(1980, 1, 1), income_fen=80_00)
    key = N.institution(gj, HOSPITAL, region="620702", level=2)
    code = N.ec_token(gj, person)
    with TestClient(create_app(gj), raise_server_exceptions=False) as client:
        his = N.his(client, gj, HOSPITAL, key)
        pasted = f"  {code[:20]}\n{code[20:]}  "  # as it comes out of a phone's share sheet
        visit = his_counter.scan_visit(his, pasted, medfee_fen=50_00, acct_used_flag="1", ipt_otp_no="C-1")
        assert visit.psn_no == str(person) and visit.psn_name == "吴扫码" and visit.insutype == "310"
        info = visit.setlinfo
        assert info["mdtrt_cert_type"] == "01"
        assert N.fen(info["medfee_sumamt"]) == 50_00
        assert N.fen(info["acct_pay"]) + N.fen(info["psn_cash_pay"]) == N.fen(info["psn_part_amt"])
        with pytest.raises(his_counter.CounterRefused) as refused:
            his_counter.scan_visit(his, code, medfee_fen=10_00, ipt_otp_no="C-2")
        # the same counter may read the person again, but the code has served its visit
        assert refused.value.infno == "2201" and "医保码已使用" in refused.value.err_msg
