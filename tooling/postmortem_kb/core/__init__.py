"""The domain: model, parsing, templates, rules, metrics, evidence.

Imports neither click nor MkDocs; errors are plain exceptions from `errors`.
"""
