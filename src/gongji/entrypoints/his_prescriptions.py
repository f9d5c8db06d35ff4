"""The simulator's external-prescription rounds (``gongji his-rx``; seed 004, docs/prescriptions.md).

Each round is the whole flow between a hospital where the electronic-prescription centre is live
and a pharmacy of its pooling region, over HTTP with their gateway keys: at the hospital 1101 →
2201 → upload to the centre (``hi_rxno``); at the pharmacy fetch by number → report dispensed →
1101 → 2201 → 2204 (the drugs, ``rxno`` = the number) → 2206 → 2207. About one round in eight
goes wrong on purpose — the pharmacy tries to settle one more tablet than it dispensed — and must
be refused (``E_RX_OVER_QUANTITY``). The cast comes from ``his_simulator.load_cast``.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx

from gongji.adapters.nhsa.client import HisClient, parts_of
from gongji.bootstrap import Gongji
from gongji.domain.registry import region_in_scope, scope_prefix
from gongji.entrypoints import his_simulator as sim

DRUGS = (  # demo catalogue prescription drugs: code, unit price (fen), dosage
    ("XA10BAA001A001010100001", 50, "0.5g"),  # 二甲双胍片
    ("XC09AAA001A001010100002", 20, "25mg"),  # 卡托普利片
    ("XC08CAA001A001010100003", 150, "30mg"),  # 硝苯地平缓释片
)
WRONG_SHARE = 0.125
DOCTOR = "D{region}{serial:06d}"


@dataclass
class RxResult:
    rounds: int
    settled: int = 0
    over_quantity_refused: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # "step code message" → count
    numbers: list[str] = field(default_factory=list)


def pairs(gj: Gongji, cast: sim.Cast) -> list[tuple[sim.Site, sim.Site]]:
    """(hospital, pharmacy) with the centre live at the hospital and the pharmacy in its pooling region."""
    live = list(gj.profile.settlement.prescription.center_regions)
    hospitals = [s for s in cast.sites if s.kind == "hospital" and region_in_scope(s.region, live)]
    pharmacies = [s for s in cast.sites if s.kind == "pharmacy"]
    return [(h, p) for h in hospitals for p in pharmacies if h.region.startswith(scope_prefix(p.region))]


class _Stop(Exception):
    pass


def _client(http: httpx.Client, gj: Gongji, site: sim.Site) -> HisClient:
    return HisClient(
        http=http,
        fixmedins_code=site.code,
        fixmedins_name=site.name[:50],
        region=site.region,
        key=site.keys[0],
        now=gj.clock.now,
    )


def play(
    http: httpx.Client,
    gj: Gongji,
    hospital: sim.Site,
    pharmacy: sim.Site,
    patient: sim.Patient,
    rng: random.Random,
    n: int,
    out: RxResult,
) -> None:
    hos, pha = _client(http, gj, hospital), _client(http, gj, pharmacy)

    def two_ledger(his: HisClient, infno: str, body: Any, step: str) -> dict[str, Any]:
        answer = his.call(infno, body)
        if answer.get("infcode") != 0:
            out.refused[f"{step} {answer.get('err_code')} {answer.get('err_msg')}"] += 1
            raise _Stop
        return answer

    def centre(his: HisClient, method: str, path: str, body: Any, step: str) -> dict[str, Any]:
        r = his.rx(method, path, body)
        if r.status_code >= 400:
            data = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
            out.refused[f"{step} {data.get('code')} {data.get('message')}"] += 1
            raise _Stop
        return dict(r.json())

    def visit(his: HisClient, tag: str) -> str:
        info = two_ledger(
            his,
            "1101",
            {
                "data": {
                    "mdtrt_cert_type": "02",
                    "mdtrt_cert_no": patient.certno,
                    "psn_cert_type": "01",
                    "certno": patient.certno,
                }
            },
            "1101",
        )
        psn_no = str(info["output"]["baseinfo"]["psn_no"])
        reg = his.register(psn_no, patient.insutype, patient.certno, patient.name, ipt_otp_no=f"RX{tag}{n:06d}")
        if reg.get("infcode") != 0:
            out.refused[f"2201 {reg.get('err_code')} {reg.get('err_msg')}"] += 1
            raise _Stop
        return str(reg["output"]["data"]["mdtrt_id"])

    try:
        code, price, dose = rng.choice(DRUGS)
        count = rng.choice((7, 14, 21, 28))
        days = rng.randint(3, gj.profile.settlement.prescription.max_days)
        mdtrt_id = visit(hos, "MZ")
        rx = centre(
            hos,
            "POST",
            "/api/rx/prescriptions",
            {
                "rxno": f"SIM{rng.randrange(10**9):09d}{n:04d}",
                "psn_no": str(patient.person_id),
                "mdtrt_id": mdtrt_id,
                "bilg_dr_codg": DOCTOR.format(region=hospital.region, serial=rng.randrange(1, 999)),
                "bilg_dr_name": "模拟医师",
                "lines": [
                    {
                        "med_list_codg": code,
                        "cnt": str(count),
                        "prd_days": days,
                        "sin_dos_dscr": dose,
                        "used_frqu_dscr": "每日1次",
                        "medc_way_dscr": "口服",
                        "pric": f"{price / 100:.2f}",
                    }
                ],
            },
            "upload",
        )
        number = rx["hi_rxno"]
        out.numbers.append(number)
        centre(pha, "POST", "/api/rx/fetch", {"hi_rxno": number}, "fetch")
        centre(
            pha,
            "POST",
            f"/api/rx/prescriptions/{number}/dispense",
            {"rx_chk_stas_codg": "1", "lines": [{"med_list_codg": code, "cnt": str(count)}]},
            "dispense",
        )
        wrong = rng.random() < WRONG_SHARE
        sold = count + 1 if wrong else count
        sale = visit(pha, "YD")
        row = {
            "feedetl_sn": "1",
            "mdtrt_id": sale,
            "psn_no": str(patient.person_id),
            "chrg_bchno": "B1",
            "rxno": number,
            "rx_circ_flag": "0",
            "fee_ocur_time": gj.clock.now().strftime("%Y-%m-%d %H:%M:%S"),
            "med_list_codg": code,
            "medins_list_codg": f"HIS-{code[-6:]}",
            "det_item_fee_sumamt": f"{sold * price / 100:.2f}",
            "cnt": str(sold),
            "pric": f"{price / 100:.2f}",
            "bilg_dept_codg": "A03",
            "bilg_dept_name": "内科",
            "bilg_dr_codg": "Y000000",
            "bilg_dr_name": "药师",
            "hosp_appr_flag": "1",
        }
        fees = pha.call("2204", {"feedetail": [row]})
        if wrong:
            if fees.get("err_code") == "E_RX_OVER_QUANTITY":
                out.over_quantity_refused += 1
            else:
                out.refused[f"2204 over quantity not refused: {fees.get('err_code')}"] += 1
            return
        if fees.get("infcode") != 0:
            out.refused[f"2204 {fees.get('err_code')} {fees.get('err_msg')}"] += 1
            return
        args: dict[str, Any] = dict(
            psn_no=str(patient.person_id),
            mdtrt_id=sale,
            insutype=patient.insutype,
            certno=patient.certno,
            medfee_fen=sold * price,
            acct_used_flag="1",
            med_type="41",
        )
        pre = two_ledger(pha, "2206", pha.settle_input(**args), "2206")
        two_ledger(pha, "2207", pha.settle_input(**args, parts=parts_of(pre["output"]["setlinfo"])), "2207")
        out.settled += 1
    except _Stop:
        return


def run(
    http_factory: Callable[[], httpx.Client],
    gj: Gongji,
    *,
    count: int,
    seed: int,
    cast: sim.Cast | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> RxResult:
    cast = cast or sim.load_cast(gj)
    pool = pairs(gj, cast)
    if not pool:
        raise ValueError("没有已上线电子处方中心的医院及其统筹区内的药店（持有网关密钥）。No hospital/pharmacy pair")
    if not cast.patients:
        raise ValueError("没有正常参保的人员；请先载入演示数据 (gongji demo)。No insured persons")
    rng = random.Random(f"gongji-his-rx:{seed}")
    out = RxResult(rounds=count)
    http = http_factory()
    for n in range(count):
        hospital, pharmacy = rng.choice(pool)
        play(http, gj, hospital, pharmacy, rng.choice(cast.patients), rng, n, out)
        if on_progress is not None:
            on_progress(n + 1, count)
    return out
