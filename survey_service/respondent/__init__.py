"""The respondents' side: the form app and its page, the JSON API and its wire structs, intake,
screening off the event loop, and previews of drafts in the real form."""
