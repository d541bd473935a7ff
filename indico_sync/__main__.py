from indico_sync.cli import main

raise SystemExit(main())
