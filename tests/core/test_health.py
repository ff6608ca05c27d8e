from tests.conftest import Api


async def test_health_says_the_database_answers_without_auth(api: Api) -> None:
    response = await api.get("/health", None)
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
