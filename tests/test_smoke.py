def test_me_loyalty_with_token(client, journey):
    token = journey.customer_token("c-1", email="Jo@Example.com")
    response = client.get("/journeykit/api/v1/me/loyalty", headers={"X-JourneyKit-Customer": token})
    assert response.status_code == 200, response.json
    assert response.json == {"balance": 0, "tier": "member", "history": []}
