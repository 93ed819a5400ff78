-- PostgreSQL twin of sqlite/0003_response_language.sql (issue 9): the questionnaire language a
-- response was given in, for multilingual versions only (NULL otherwise, and for every response
-- stored before). A quasi-identifier: exports show it only when k released responses share it.
ALTER TABLE responses ADD COLUMN language TEXT;
