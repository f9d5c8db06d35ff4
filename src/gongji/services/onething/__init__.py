"""就医费用报销"一件事" (seed 001; issue 14 §5): one application for family binding, off-site
registration, chronic-disease recognition and direct settlement.

- ``apply`` — the one form (多表合一, 一表申报): checked as a whole (parts, at most 3 materials,
  the commitment of a 承诺件), accepted at once, its parts routed to their offices;
- ``routing`` — each part through the existing use case: 即办件 done or refused at once, the
  recognition waiting for a second clerk, direct settlement after the parts it follows; the case
  closes when every part has ended;
- ``cases`` — the case as the applicant and staff see it, visits and proofs that follow;
- ``queue`` — the staff queue by remaining working days, due today, overdue, counts per office,
  and the daily overdue list.

Rules are in ``domain.onething``; figures in the profile's ``[onething]``.
"""
