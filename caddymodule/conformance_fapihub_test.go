package caddymodule_test

// fapiHubCases are fapihub's documented endpoints, parameters, statuses
// and error codes (../shared/seeds/fapihub-removebg-api.txt).
func fapiHubCases(photo []byte) []confCase {
	const seed = "fapihub-removebg-api.txt:"
	img := func(extra ...confPart) []confPart {
		return append([]confPart{upload("image", "photo.jpg", photo)}, extra...)
	}
	param := func(field string) string {
		return `{"error":{"code":"invalid_parameter","message":"*","field":"` + field + `","request_id":"*"}}`
	}
	shadow := func(except string) []confPart {
		var ps []confPart
		for _, p := range []confPart{text("shadow_color", "(0, 0, 0, 128)"), text("offset", "(5, 10)"), text("blur_radius", "10")} {
			if p.name != except {
				ps = append(ps, p)
			}
		}
		return img(ps...)
	}
	png := map[string]string{"Content-Type": "image/png"}
	return []confCase{
		{seed: seed + "107-126", name: "remove background", path: "/v2/rembg/", key: "good", parts: img(), status: 200, image: "image/png", model: true},
		{seed: seed + "142-169", name: "blur", path: "/v2/rembg/blur/", key: "good", parts: img(text("radius", "10")), status: 200, image: "image/png", model: true},
		{seed: seed + "163-169", name: "blur radius max 50", path: "/v2/rembg/blur/", key: "good", parts: img(text("radius", "51")), status: 400, json: param("radius")},
		{seed: seed + "163-169", name: "blur radius required", path: "/v2/rembg/blur/", key: "good", parts: img(), status: 400, json: param("radius")},
		{seed: seed + "181-208", name: "color", path: "/v2/rembg/color/", key: "good", parts: img(text("bgcolor", "(255, 140, 0, 255)")), status: 200, image: "image/png", headers: png, model: true},
		{seed: seed + "202-208", name: "bgcolor required", path: "/v2/rembg/color/", key: "good", parts: img(), status: 400, json: param("bgcolor")},
		{seed: seed + "215-250", name: "gradient", path: "/v2/rembg/gradient/", key: "good",
			parts: img(text("top_color", "(255, 140, 0, 255)"), text("bottom_color", "(229, 46, 113, 255)")), status: 200, image: "image/png", model: true},
		{seed: seed + "236-242", name: "top_color required", path: "/v2/rembg/gradient/", key: "good",
			parts: img(text("bottom_color", "(229, 46, 113, 255)")), status: 400, json: param("top_color")},
		{seed: seed + "244-250", name: "bottom_color required", path: "/v2/rembg/gradient/", key: "good",
			parts: img(text("top_color", "(255, 140, 0, 255)")), status: 400, json: param("bottom_color")},
		{seed: seed + "257-300", name: "shadow", path: "/v2/rembg/shadow/", key: "good", parts: shadow(""), status: 200, image: "image/png", model: true},
		{seed: seed + "278-284", name: "shadow_color required", path: "/v2/rembg/shadow/", key: "good", parts: shadow("shadow_color"), status: 400, json: param("shadow_color")},
		{seed: seed + "286-292", name: "offset required", path: "/v2/rembg/shadow/", key: "good", parts: shadow("offset"), status: 400, json: param("offset")},
		{seed: seed + "294-300", name: "blur_radius required", path: "/v2/rembg/shadow/", key: "good", parts: shadow("blur_radius"), status: 400, json: param("blur_radius")},
		{seed: seed + "120-126", name: "image required", path: "/v2/rembg/", key: "good", parts: []confPart{text("model", "falcon")}, status: 400,
			json: `{"error":{"code":"invalid_image","message":"No image provided: send the image file in the field image.","field":"image","request_id":"*"}}`},
		{seed: seed + "323-327", name: "400 invalid_image: not an image", path: "/v2/rembg/", key: "good",
			parts: []confPart{upload("image", "photo.jpg", []byte("not an image"))}, status: 400,
			json: `{"error":{"code":"invalid_image","message":"*","field":"image","request_id":"*"}}`},
		{seed: seed + "353", name: "invalid_image: corrupted", path: "/v2/rembg/", key: "good",
			parts: []confPart{upload("image", "photo.jpg", photo[:len(photo)/3])}, status: 400,
			json: `{"error":{"code":"invalid_image","message":"The image could not be decoded.","field":"image","request_id":"*"}}`, model: true},
		{seed: seed + "329-333", name: "401 missing API key", path: "/v2/rembg/", parts: img(), status: 401,
			json: `{"error":{"code":"invalid_api_key","message":"Missing API key: send it in the ApiKey header.","request_id":"*"}}`},
		{seed: seed + "355", name: "401 invalid_api_key", path: "/v2/rembg/", key: "wrong", parts: img(), status: 401,
			json: `{"error":{"code":"invalid_api_key","message":"The API key is not valid.","request_id":"*"}}`},
		{seed: seed + "335-339", name: "402 insufficient_credits", path: "/v2/rembg/", key: "broke", parts: img(), status: 402,
			json: `{"error":{"code":"insufficient_credits","message":"Insufficient credits for this billing month.","request_id":"*"}}`, model: true},
		{seed: seed + "42", name: "within the minute limit", path: "/v2/rembg/", key: "slow-fapihub", parts: img(), status: 200, image: "image/png", model: true},
		{seed: seed + "341-345", name: "429 rate_limit_exceeded", path: "/v2/rembg/", key: "slow-fapihub", parts: img(), status: 429,
			headers: map[string]string{"Retry-After": "*"},
			json:    `{"error":{"code":"rate_limit_exceeded","message":"Too many requests. Please wait before making more requests.","request_id":"*","retry_after":"#"}}`, model: true},
	}
}
