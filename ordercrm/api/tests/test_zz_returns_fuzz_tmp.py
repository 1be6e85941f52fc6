from ordercrm.api.tests.test_fuzz import *  # noqa
from ordercrm.api.tests.test_fuzz import _keep_connection, _restore_connection, _tokens, records  # noqa


def test_returns_operations_only(company, team, make_user, records):
    tokens = _tokens(company, team, make_user)
    _keep_connection()
    try:
        schema = schemathesis.openapi.from_wsgi(
            "/api/v1/openapi.json", get_wsgi_application(), config=CONFIG
        )
        operations = [result.ok() for result in schema.get_all_operations()]
        operations = [o for o in operations if "return" in o.label]
        print("operations:", [o.label for o in operations])
        cases, statuses = 0, collections.Counter()
        failures: dict[str, list] = collections.defaultdict(list)

        def check(operation, mode, role):
            headers = {"Authorization": f"Bearer {tokens[role]}"}

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
            )
            @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans())
            def run(case, real):
                nonlocal cases
                if real and case.path_parameters:
                    for name in case.path_parameters:
                        if name in records:
                            case.path_parameters[name] = records[name]
                response = case.call(headers=headers)
                cases += 1
                statuses[response.status_code // 100] += 1
                try:
                    case.validate_response(response, headers=headers)
                except (FailureGroup, Exception) as error:  # one entry per failed check
                    for failure in getattr(error, "exceptions", [error]):
                        kind = type(failure).__name__
                        title = getattr(failure, "title", "") or kind
                        failures[title].append(
                            (operation.label, mode.value, role, response.status_code)
                        )

            run()

        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for role in (Role.ADMIN, Role.SALES_REP, Role.VIEWER, Role.FINANCE):
                    check(operation, mode, role)
        for role in set(Role.values) - {Role.ADMIN, Role.SALES_REP, Role.VIEWER, Role.FINANCE}:
            for operation in operations:
                check(operation, GenerationMode.POSITIVE, role)
    finally:
        _restore_connection()
    summary = {title: len(items) for title, items in failures.items()}
    print(
        f"\nAPI sweep: {len(operations)} operations, {len(Role.values)} roles, {cases} cases, "
        f"statuses by class {dict(sorted(statuses.items()))}, failures by check {summary}"
    )
    for title, items in failures.items():
        for item in sorted(set(items))[:15]:
            print("  ", title, *item)
    assert len(operations) >= 10
        assert dict(failures) == {}
    assert statuses[2] >= len(operations)  # auth works, calls land


