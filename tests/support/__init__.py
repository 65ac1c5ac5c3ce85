"""Shared helpers for the test suite: the test module (:mod:`.module`), builders, sign-in and
CSRF helpers, and the authorisation-matrix kit."""
