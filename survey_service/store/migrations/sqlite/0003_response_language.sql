-- Issue 9: the questionnaire language a response was given in, for multilingual versions only
-- (NULL otherwise, and for every response stored before). Exports show it only when at least
-- k released responses share it: it is a quasi-identifier in a small community.
ALTER TABLE responses ADD COLUMN language TEXT;
