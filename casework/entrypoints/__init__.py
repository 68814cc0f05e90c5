"""Entry points: the `casework` command line, the scheduler and worker, demo data. The core never imports these."""
