"""A harvest spread over several machines: one Celery task per portal on a Redis broker, every worker writing
into the one shared database.

* `config`: the queue's settings (environment variables) and the Celery app;
* `hostlock`: the Redis lock on a portal's hosts, so two portals on one host are never crawled at once;
* `tasks`: the portal task, which runs the single-machine harvest crawl for its portal in a child process;
* `child`: that child process;
* `batch`: `govcrawl harvest --queue`: enqueue the night's portals, wait, and summarise all workers' runs;
* `commands`: `govcrawl worker`.
"""
