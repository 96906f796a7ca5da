"""Sync jobs: what runs when an integration syncs, and the rules it lives by.

The job engine, OCA's synchronizer: :mod:`~ecom.jobs.runner` runs a job's phases in order; the
phases (:mod:`~ecom.jobs.orders`, :mod:`~ecom.jobs.status`, :mod:`~ecom.jobs.catalog_phases`)
fetch through the driver, map (:mod:`ecom.mapping`) and write (:mod:`~ecom.jobs.writer`);
:mod:`~ecom.jobs.lifecycle` keeps one job at a time per integration; :mod:`~ecom.jobs.log` records
counts and events; :mod:`~ecom.jobs.state` remembers watermarks; :mod:`~ecom.jobs.schedule` and
:mod:`~ecom.jobs.worker` run jobs on time; :mod:`~ecom.jobs.report` says what a job did.
See ``docs/jobs.md``.
"""
