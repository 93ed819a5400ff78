from survey_service.cli import main

raise SystemExit(main())
