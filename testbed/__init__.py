"""What the tests and the benchmarks both run against: a throwaway PostgreSQL cluster
(``postgres``, installed by ``install_postgres.sh``), the fake SMS gateway (``sms_gateway``),
billed invoices to send (``invoices``), a clinic's history at scale (``clinic_scale``) and the
bits of Textual's private API they reach into, such as delivering keys as a terminal does
(``textual_private``).

Development only: not installed with Facteur. ``tests`` and ``bench`` import it, never the reverse.
"""
