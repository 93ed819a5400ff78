"""Questionnaires as XLSForm spreadsheets (the ODK/KoboToolbox format): import and export."""

from survey_service.xlsform.reader import Imported, read_xlsform
from survey_service.xlsform.sheets import Place, Problem, XLSFormError
from survey_service.xlsform.toml_file import file_name

__all__ = ["Imported", "Place", "Problem", "XLSFormError", "file_name", "read_xlsform"]
