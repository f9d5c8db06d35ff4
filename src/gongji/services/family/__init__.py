"""Family mutual aid (职工医保个人账户家庭共济, SPEC §4; seeds 000, 001, 003, 004), one module per use case:

- ``agreement``: confirm the agreement and Q&A once per version;
- ``binding``: bind a relative on a signed commitment, unbind;
- ``allocation``: 共济账户划拨 (allocation model);
- ``payment``: ``pay`` (own account → family funds → cash), ``preview``, ``pay_at_institution``;
- ``premiums``: 代缴 of a relative's resident premium from family funds, and its refund;
- ``fraud``: staff stop the parties' family mutual aid, open and collect the receivable, write it
  off with a second approval;
- ``views``: members, history, staff views;
- ``common``: the facts and checks the use cases share.

Province differences come from ``profile.family``; nothing here branches on the province.
Every write is audited in the same transaction; money moves only through ``services.ledger``.
"""
