"""The staff dashboard (KPIs and charts) and the CSV/XLSX exports staff report from."""
