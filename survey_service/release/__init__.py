"""One protected release per questionnaire (rules 6 to 8): what a batch release decides, once,
over all released data, and what every view (files, summaries, portal, API, CLI) reads."""
