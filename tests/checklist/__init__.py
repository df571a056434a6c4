"""Checklist tests. ``DRAIN_SECTIONS`` is a small spec both service and HTTP tests build on."""

# A schema change with "Upgrade impact: None": the prefill says none and the cross-check objects.
DRAIN_SECTIONS = {
    "Problem description": "Operators cannot drain a compute host cleanly.",
    "Proposed change": "Add a drain mode to nova-compute.",
    "Data model impact": "A new column ``drain_state`` is added to the services table.",
    "Upgrade impact": "None",
    "Testing": "Functional tests cover drain and undrain.",
    "Documentation Impact": "The admin guide gets a drain section.",
}
