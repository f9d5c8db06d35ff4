"""Off-site care (seed 001 二、三; issue 14 §2–§3): 异地就医备案 (``registration``), the outpatient
chronic/special diseases' recognition (``chronic``), and the questions settlement asks of both
(``queries``). Rules are in ``domain.offsite``; figures in the profile's ``[offsite]``."""
