from synthstem.cli import main

raise SystemExit(main())
