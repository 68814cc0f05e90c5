"""Cases: rows and references, actions on a case, what may be done now, reads, the team queue, figures."""
