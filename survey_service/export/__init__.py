"""Exports: the layout of a questionnaire's columns, the plans that turn a response into its
row of cells, the CSV / XLSX / JSON writers (pure), and downloads, which apply a release."""
