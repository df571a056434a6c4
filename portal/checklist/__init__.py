"""The operability checklist: a versioned template, the prefill read from spec text, reviewers' answers."""
