"""Widgets the screens share: the step checklist and the type-ahead picker."""
