"""The web admin served by ``ecom serve``: login, integrations and their editor, jobs and their errors.

A Starlette application rendering jinja2 templates (``templates/``), plain HTML forms, no
front-end build. It is a thin face on the same functions the CLI calls: :mod:`ecom.users` for
logins, :mod:`ecom.integration_file` for saving the editor (exactly ``ecom integration apply``),
:mod:`ecom.jobs` for Sync now and Retry. Modules: :mod:`.app` (the application, sessions),
:mod:`.auth` (login, CSRF), :mod:`.integrations` and :mod:`.jobs` (the pages).
"""
