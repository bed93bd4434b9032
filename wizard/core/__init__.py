"""The core layer: answers (config, validation), the setup record, Azure access, errors, ids and constants.

It imports nothing from the steps, the engine or any front end (import-linter checks it).
"""
