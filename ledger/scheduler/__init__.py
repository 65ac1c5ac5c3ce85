"""The one scheduler process: runs the periodic jobs the modules declare
(:class:`ledger.platform.ScheduledJob`) with APScheduler's ``BlockingScheduler``, each run keyed
in the database by ``(job, scheduled time)`` so that it is done once (:mod:`.runs`,
:mod:`.process`)."""
