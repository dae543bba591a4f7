from contract_tests.runner import main

raise SystemExit(main())
