package caddymodule_test

import (
	"bytes"
	"strings"
)

// removeBGCases are remove.bg's documented requests and answers
// (../shared/seeds/removebg-api-v1.0-*.txt; "ref" is the reference, "ov"
// the overview). The docs' image URL (www.remove.bg/example.jpg) is the
// test site's own photo: tests reach no other host.
func removeBGCases(photo []byte) []confCase {
	const (
		ref = "removebg-api-v1.0-reference.txt:"
		ov  = "removebg-api-v1.0-overview.txt:"
	)
	photoURL := apiBase + "/photo.jpg"
	image := map[string]string{
		"X-Width": "1000", "X-Height": "667", "X-Type": "other", "X-Credits-Charged": "1",
		"X-Foreground-Top": "*", "X-Foreground-Left": "*", "X-Foreground-Width": "*", "X-Foreground-Height": "*",
		"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "*", "X-RateLimit-Reset": "*",
	}
	preview := map[string]string{"X-Width": "612", "X-Height": "408", "X-Credits-Charged": "0.25"} // 1000 x 667 at 0.25 MP
	rateErr := `{"errors":[{"title":"Rate limit exceeded","code":"rate_limit_exceeded","detail":"*"}]}`
	return []confCase{
		// Sample Code: curl, Node, Python, Ruby, PHP, Java, Objective-C,
		// Swift and C# all send image_file and size=auto.
		{seed: ref + "40-202", name: "image_file, size=auto", path: "/v1.0/removebg", key: "good",
			parts:  []confPart{upload("image_file", "file.jpg", photo), text("size", "auto")},
			status: 200, image: "image/png", headers: image, model: true},
		{seed: ov + "37-42", name: "overview's curl sample", path: "/v1.0/removebg", key: "good",
			parts:  []confPart{upload("image_file", "file.jpg", photo), text("size", "auto")},
			status: 200, image: "image/png", headers: image, model: true},
		// The same samples with image_url; Swift's sends it URL-encoded.
		{seed: ref + "203-342", name: "image_url, size=auto", path: "/v1.0/removebg", key: "good",
			parts:  []confPart{text("image_url", photoURL), text("size", "auto")},
			status: 200, image: "image/png", headers: image, model: true},
		{seed: ref + "312-320", name: "image_url form-encoded", path: "/v1.0/removebg", key: "good",
			ctype: "application/x-www-form-urlencoded", body: "image_url=" + strings.ReplaceAll(photoURL, ":", "%3A"),
			status: 200, image: "image/png", headers: preview, model: true}, // it sends no size
		// The rate-limit samples post JSON, and no size: a preview
		// ("preview / small / regular (default) = Resize image to 0.25
		// megapixels ... 0.25 credits per image", remove.bg's reference
		// text for size; the seeds are silent on the default).
		{seed: ref + "487-489", name: "JSON image_url, no size", path: "/v1.0/removebg", key: "good",
			ctype: "application/json", body: `{"image_url":"` + photoURL + `"}`,
			status: 200, image: "image/png", headers: preview, model: true},
		// axios's default Accept names JSON first, but the usual Node
		// client (responseType arraybuffer) saves the body as the PNG.
		{seed: ref + "19-20", name: "axios's default Accept", path: "/v1.0/removebg", key: "good",
			parts:  []confPart{upload("image_file", "file.jpg", photo), text("size", "auto")},
			header: []string{"Accept", "application/json, text/plain, */*"},
			status: 200, image: "image/png", headers: image, model: true},
		// size=auto is "the highest available resolution (based on image
		// size and available credits)": half a credit buys a preview.
		{seed: ref + "40-202", name: "size=auto with half a credit left", path: "/v1.0/removebg", key: "half-credit",
			parts:  []confPart{upload("image_file", "file.jpg", photo), text("size", "auto")},
			status: 200, image: "image/png", headers: preview, model: true},
		{seed: ref + "19-20", name: "JSON-encoded result", path: "/v1.0/removebg", key: "good",
			parts: []confPart{upload("image_file", "file.jpg", photo)}, header: []string{"Accept", "application/json"},
			status: 200, headers: map[string]string{"Content-Type": "application/json*", "X-Credits-Charged": "0.25"},
			json: `{"data":{"result_b64":"*","foreground_top":"#","foreground_left":"#","foreground_width":"#","foreground_height":"#"}}`, model: true},
		{seed: ref + "23", name: "no foreground", path: "/v1.0/removebg", key: "good",
			parts:  []confPart{upload("image_file", "blank.png", solidPNG(nil, 64, 64))},
			status: 400, headers: map[string]string{"X-Credits-Charged": ""},
			json: `{"errors":[{"title":"Could not identify foreground in image","code":"unknown_foreground","detail":"Could not identify a foreground in the image."}]}`, model: true},
		{seed: ref + "1077", name: "12 MB maximum file size", path: "/v1.0/removebg", key: "good",
			parts:  []confPart{upload("image_file", "big.jpg", bytes.Repeat([]byte{0xff}, 13_000_000))},
			status: 400, json: `{"errors":[{"title":"File too large","code":"file_too_large","detail":"The image is larger than 12582912 bytes."}]}`},
		{seed: ref + "1086", name: "GET /account", method: "GET", path: "/v1.0/account", key: "good",
			status: 200, json: `{"data":{"attributes":{"credits":{"total":"#","subscription":"#","payg":0,"enterprise":0},"api":{"free_calls":0,"sizes":"all"}}}}`},
		{seed: ref + "1074", name: "POST /improve", path: "/v1.0/improve", key: "good",
			parts:  []confPart{upload("image_file", "file.jpg", photo), text("tag", "conformance")},
			status: 200, json: `{"id":"*"}`},
		{seed: ref + "40", name: "no X-API-Key", path: "/v1.0/removebg",
			parts:  []confPart{upload("image_file", "file.jpg", photo)},
			status: 403, json: `{"errors":[{"title":"API Key invalid","code":"auth_failed","detail":"Missing API Key: send it in the X-Api-Key header."}]}`},
		// A truncated upload probes well and fails to decode: one of
		// remove.bg's codes, not Matte's corrupt_source (issue 12).
		{seed: ref + "17-18", name: "truncated upload", path: "/v1.0/removebg", key: "good",
			parts:  []confPart{upload("image_file", "cut.jpg", photo[:len(photo)/3])},
			status: 400, headers: map[string]string{"X-Credits-Charged": ""},
			json: `{"errors":[{"title":"Invalid file type","code":"invalid_file_type","detail":"The image could not be decoded: the file is truncated or corrupt."}]}`, model: true},
		// Jebosio serves the same API under /api/v1.0/ with remove.bg's
		// rate headers: the routes match as a path suffix.
		{seed: "jebosio-api.txt:79-101", name: "under /api/v1.0/", path: "/api/v1.0/removebg", key: "good",
			ctype: "application/json", body: `{}`, status: 400,
			headers: map[string]string{"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "*", "X-RateLimit-Reset": "*"},
			json:    `{"errors":[{"title":"No image given","code":"missing_source","detail":"No image given: send one of image_file, image_file_b64 or image_url."}]}`},
		// Rate Limit: a 1-megapixel-a-minute key pays for one image; the
		// next is a 429 with the documented headers, no credits charged.
		{seed: ref + "431-441", name: "within the rate limit", path: "/v1.0/removebg", key: "slow-removebg",
			parts:  []confPart{upload("image_file", "file.jpg", photo)},
			status: 200, image: "image/png", headers: map[string]string{"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0"}, model: true},
		{seed: ref + "444-450", name: "rate limit exceeded", path: "/v1.0/removebg", key: "slow-removebg",
			parts:  []confPart{upload("image_file", "file.jpg", photo)},
			status: 429, headers: map[string]string{"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "*", "Retry-After": "*", "X-Credits-Charged": ""},
			json: rateErr, model: true},
	}
}
