package caddymodule_test

import (
	"bytes"
	"image"
	"testing"

	"golang.org/x/image/bmp"
)

// rembgComCases are rembg.com's documented requests and its error
// reference (../shared/seeds/rembg-com-api.txt), every message verbatim.
func rembgComCases(t *testing.T, photo []byte) []confCase {
	const seed = "rembg-com-api.txt:"
	one := func(msg, field string, status int) string {
		return `{"error":` + jsonString(msg) + `,"field":"` + field + `","status":` + itoa(status) + `}`
	}
	img := func(extra ...confPart) []confPart {
		return append([]confPart{upload("image", "input.png", photo)}, extra...)
	}
	// rembg.js 1.3.1 sends these with every call (lines 45-80 give the
	// defaults; the client sends w=0 and h=0 for "unset").
	client := []confPart{text("exact_resize", "false"), text("w", "0"), text("h", "0"), text("mask", "false"),
		text("return_base64", "false"), text("expand", "true")}
	src := image.NewRGBA(image.Rect(0, 0, 40, 30))
	var bmpFile bytes.Buffer
	if err := bmp.Encode(&bmpFile, src); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte{0}, 57_880_000) // 55.2 MiB
	// row is an error-reference row: a 400 on field with msg.
	row := func(lines, name string, parts []confPart, field, msg string) confCase {
		return confCase{seed: seed + lines, name: name, path: "/rmbg", key: "good", parts: parts, status: 400, json: one(msg, field, 400)}
	}
	return []confCase{
		{seed: seed + "103-112", name: "rembg.js defaults", path: "/rmbg", key: "good",
			parts: img(client...), status: 200, image: "image/webp", headers: map[string]string{"X-Width": "1000", "X-Height": "667"}, model: true},
		{seed: seed + "45-48", name: "format png", path: "/rmbg", key: "good",
			parts: img(text("format", "png")), status: 200, image: "image/png", model: true},
		{seed: seed + "49-52", name: "returnBase64: the image, which the client encodes", path: "/rmbg", key: "good",
			parts: img(append(client[:4:4], text("return_base64", "true"))...), status: 200, image: "image/png", model: true},
		{seed: seed + "53-56", name: "returnMask", path: "/rmbg", key: "good",
			parts: img(text("mask", "true"), text("format", "png")), status: 200, image: "image/png", model: true},
		{seed: seed + "57-68", name: "w and h keep the aspect ratio", path: "/rmbg", key: "good",
			parts: img(text("w", "200"), text("h", "200"), text("format", "png")), status: 200, image: "image/png",
			headers: map[string]string{"X-Width": "200", "X-Height": "133"}, model: true},
		{seed: seed + "65-68", name: "exact_resize", path: "/rmbg", key: "good",
			parts: img(text("w", "200"), text("h", "200"), text("exact_resize", "true"), text("format", "png")), status: 200, image: "image/png",
			headers: map[string]string{"X-Width": "200", "X-Height": "200"}, model: true},
		{seed: seed + "69-80", name: "angle, expand, bg_color", path: "/rmbg", key: "good",
			parts: img(text("angle", "90"), text("expand", "true"), text("bg_color", "#FFFFFFFF"), text("format", "png")), status: 200, image: "image/png",
			headers: map[string]string{"X-Width": "667", "X-Height": "1000"}, model: true},
		{seed: seed + "309", name: "a BMP upload (an allowed format)", path: "/rmbg", key: "good",
			parts: []confPart{upload("image", "input.bmp", bmpFile.Bytes()), text("format", "png")}, status: 200, image: "image/png",
			headers: map[string]string{"X-Width": "40", "X-Height": "30"}, model: true},
		{seed: seed + "342", name: "format BMP (an allowed output)", path: "/rmbg", key: "good",
			parts: img(text("format", "BMP")), status: 200, image: "image/bmp", model: true},

		// Membership & credits usage (the key "broke" has a quota of 0 and
		// no usage: every count is 0).
		{seed: seed + "190-204", name: "listBillingCycles", method: "GET", path: "/api/membership-usage", query: "listBillingCycles=1", key: "broke",
			status: 200, json: `{"billingCycles":[{"periodStartUnix":"#","periodEndUnix":"#","appUsage":0,"apiUsage":0}]}`},
		{seed: seed + "228-231", name: "a UTC calendar month", method: "GET", path: "/api/membership-usage", query: "year=2026&month=3", key: "broke",
			status: 200, json: `{"membership":"Matte","credits":0,"prepaidCredits":0,"app_usage":0,"api_usage":0}`},
		{seed: seed + "235-237", name: "expand=billing_cycle", method: "GET", path: "/api/membership-usage", query: "expand=billing_cycle", key: "broke",
			status: 200, json: `{"membership":"Matte","credits":0,"prepaidCredits":0,"app_usage":0,"api_usage":0,"billingCycle":{"periodStartUnix":"#","periodEndUnix":"#",
				"appUsage":0,"apiUsage":0,"includedCredits":0,"prepaidCredits":0,"usedIncludedCredits":0,"remainingIncludedCredits":0,"stripeBillingSynced":false}}`},
		{seed: seed + "241-243", name: "a period by its start", method: "GET", path: "/api/membership-usage", query: "periodStartUnix=1774268612&expand=billing_cycle", key: "broke",
			status: 200, json: `{"membership":"Matte","credits":0,"prepaidCredits":0,"app_usage":0,"api_usage":0,"billingCycle":{"periodStartUnix":1772323200,"periodEndUnix":1775001599,
				"appUsage":0,"apiUsage":0,"includedCredits":0,"prepaidCredits":0,"usedIncludedCredits":0,"remainingIncludedCredits":0,"stripeBillingSynced":false}}`},
		{seed: seed + "184", name: "periodStartUnix with year", method: "GET", path: "/api/membership-usage", query: "periodStartUnix=1774268612&year=2026", key: "broke",
			status: 400, json: one("Cannot use 'periodStartUnix' together with 'year' or 'month'.", "periodStartUnix", 400)},

		// Error Responses: the two examples.
		{seed: seed + "275-284", name: "single error", path: "/rmbg", key: "good",
			parts: []confPart{upload("image", "wide.png", solidPNG(nil, 12000, 1))}, status: 400,
			headers: map[string]string{"Content-Type": "application/json*"},
			json:    one("Image width (12000px) exceeds the maximum allowed width of 10000px.", "image", 400)},
		{seed: seed + "286-298", name: "multiple errors", path: "/rmbg", key: "good",
			parts: img(text("w", "abc"), text("angle", "500")), status: 400,
			headers: map[string]string{"Content-Type": "application/json*"},
			json: `{"error":"Multiple validation errors","details":[{"field":"w","message":"'w' must be an integer, got: 'abc'"},
				{"field":"angle","message":"'angle' must be between -360 and 360 degrees, got: 500.0"}],"status":400}`},

		// Error Reference, row by row.
		row("301-303", "No image provided", []confPart{text("w", "10")}, "image",
			"No image file provided. Please include an 'image' field in your form data."),
		// A browser form with no file chosen: an empty part named image, filename "".
		row("304-306", "No file selected", []confPart{upload("image", "", nil)}, "image",
			"No file selected. Please choose an image file to upload."),
		row("307-309", "Unsupported file type", []confPart{upload("image", "setup.exe", photo)}, "image",
			"File type '.exe' is not supported. Allowed formats: webp, bmp, png, jpg, jpeg"),
		row("310-312", "Corrupt image", []confPart{upload("image", "photo.png", []byte("this is not an image at all"))}, "image",
			"File does not appear to be a valid image (invalid file signature)"),
		row("313-315", "Empty file (0 bytes)", []confPart{upload("image", "photo.png", nil)}, "image",
			"Uploaded file is empty (0 bytes)."),
		row("316-318", "File too large", []confPart{upload("image", "photo.png", big)}, "image",
			"File size (55.2 MB) exceeds the maximum allowed size of 50 MB."),
		row("319-321", "Image too wide", []confPart{upload("image", "wide.png", solidPNG(nil, 12000, 1))}, "image",
			"Image width (12000px) exceeds the maximum allowed width of 10000px."),
		row("322-324", "Image too tall", []confPart{upload("image", "tall.png", solidPNG(nil, 1, 15000))}, "image",
			"Image height (15000px) exceeds the maximum allowed height of 10000px."),
		row("325-327", "Bad w or h value", img(text("w", "abc")), "w",
			"'w' must be an integer, got: 'abc'"),
		row("328-330", "w or h out of range", img(text("w", "-5")), "w",
			"'w' must be at least 1, got: -5"),
		row("331-333", "w or h above max", img(text("w", "15000")), "w",
			"'w' must be at most 10000, got: 15000"),
		row("334-336", "Bad angle", img(text("angle", "ninety")), "angle",
			"'angle' must be a number, got: 'ninety'"),
		row("337-339", "Angle out of range", img(text("angle", "500")), "angle",
			"'angle' must be between -360 and 360 degrees, got: 500.0"),
		row("340-342", "Bad output format", img(text("format", "gif")), "format",
			"Invalid format 'gif'. Allowed formats: PNG, JPEG, WEBP, BMP"),
		row("343-345", "Bad bg_color", img(text("bg_color", "#12345")), "bg_color",
			"Invalid color format '#12345'. Use hex format: #RGB, #RGBA, #RRGGBB, or #RRGGBBAA"),
		row("346-348", "mask + bg_color conflict", img(text("mask", "true"), text("bg_color", "#fff")), "bg_color",
			"Cannot use 'mask=true' together with 'bg_color'. Choose one or the other."),
		{seed: seed + "349-351", name: "Email not verified",
			skip: "Matte has no user accounts or e-mail addresses: a key is valid or not"},
		{seed: seed + "352-354", name: "Invalid API key", path: "/rmbg", key: "wrong",
			parts: img(), status: 401, json: one("invalid api key", "x-api-key", 401)},
		{seed: seed + "355-357", name: "Both API key and user token sent",
			skip: "Matte has no user tokens (rembg.com's web app logins): only API keys"},
		{seed: seed + "358-360", name: "within the rate limit", path: "/rmbg", key: "slow-rembgcom",
			parts: img(), status: 200, image: "image/webp", model: true},
		{seed: seed + "358-360", name: "Rate limit exceeded (short-term)", path: "/rmbg", key: "slow-rembgcom",
			parts: img(), status: 429, headers: map[string]string{"Retry-After": "*"},
			json: one("You're making requests too quickly, Please Upgrade or slow down.", "", 429), model: true},
		{seed: seed + "361-363", name: "Rate limit exceeded (daily, anonymous)",
			skip: "Matte has no anonymous callers: with keys configured every request needs one, without keys the API is open and unlimited"},
		{seed: seed + "364-366", name: "Rate limit exceeded (monthly, authenticated)", path: "/rmbg", key: "broke",
			parts: img(), status: 429, json: one("You've reached your monthly limit. Consider purchasing more credits.", "", 429), model: true},
	}
}
