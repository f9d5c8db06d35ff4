"""External prescriptions (外配处方, seed 004) through the electronic-prescription centre: upload by
the hospital, fetch by number, dispense and report back at the pharmacy, paper prescriptions,
存疑线索 and the staff's 专项检查 list (docs/prescriptions.md)."""
