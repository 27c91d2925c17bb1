"""Data contracts: ODCS v3.1 files compiled to type conformance and Great Expectations rules."""
from pipeline.contracts.gate import check_frame, enforce
from pipeline.contracts.odcs import Contract, ContractError, all_contracts, contract_for_asset, load_contract
from pipeline.contracts.report import ContractReport, ContractViolation, Finding

__all__ = [
    "Contract", "ContractError", "ContractReport", "ContractViolation", "Finding",
    "all_contracts", "check_frame", "contract_for_asset", "enforce", "load_contract",
]
