package rembgcom

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/jebosio/matte/dialect"
)

var usageNow = time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)

func month(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }

// TestParseUsageQuery: GET /api/membership-usage's query parameters as the
// rembg.com reference describes them.
func TestParseUsageQuery(t *testing.T) {
	cur := month(2026, 3)
	cases := []struct {
		query string
		want  UsageQuery
		field string // the (first) error's field; "" when none
		msg   string
	}{
		{"", UsageQuery{Month: cur, Cycle: cur}, "", ""},
		{"year=2026&month=3", UsageQuery{Month: cur, Cycle: cur}, "", ""},
		{"year=2025&month=12", UsageQuery{Month: month(2025, 12), Cycle: cur}, "", ""},
		{"month=1", UsageQuery{Month: month(2026, 1), Cycle: cur}, "", ""},
		{"year=2024", UsageQuery{Month: month(2024, 3), Cycle: cur}, "", ""},
		{"expand=billing_cycle", UsageQuery{Month: cur, Cycle: cur, BillingCycle: true}, "", ""},
		{"expand=other,%20billing_cycle", UsageQuery{Month: cur, Cycle: cur, BillingCycle: true}, "", ""},
		{"expand=other", UsageQuery{Month: cur, Cycle: cur}, "", ""},
		{"includeBillingCycle=1", UsageQuery{Month: cur, Cycle: cur, BillingCycle: true}, "", ""},
		{"includeBillingCycle=true", UsageQuery{Month: cur, Cycle: cur, BillingCycle: true}, "", ""},
		{"includeBillingCycle=0", UsageQuery{Month: cur, Cycle: cur}, "", ""},
		// 1740441600 is 2025-02-25: the cycle is the month it falls in.
		{"periodStartUnix=1740441600&expand=billing_cycle", UsageQuery{Month: month(2025, 2), Cycle: month(2025, 2), BillingCycle: true}, "", ""},
		{"listBillingCycles=1", UsageQuery{List: true, Month: cur, Cycle: cur}, "", ""},
		{"listBillingCycles=true&year=abc&periodStartUnix=1&month=2", UsageQuery{List: true, Month: cur, Cycle: cur}, "", ""},
		{"periodStartUnix=1740441600&year=2025", UsageQuery{}, "periodStartUnix", MsgPeriodWithMonth},
		{"periodStartUnix=1740441600&month=2", UsageQuery{}, "periodStartUnix", MsgPeriodWithMonth},
		{"year=abc", UsageQuery{}, "year", "'year' must be an integer, got: 'abc'"},
		{"year=0", UsageQuery{}, "year", "'year' must be between 1 and 9999, got: 0"},
		{"year=10000", UsageQuery{}, "year", "'year' must be between 1 and 9999, got: 10000"},
		{"month=13", UsageQuery{}, "month", "'month' must be between 1 and 12, got: 13"},
		{"month=", UsageQuery{}, "month", "'month' must be an integer, got: ''"},
		{"month=1.5", UsageQuery{}, "month", "'month' must be an integer, got: '1.5'"},
		{"periodStartUnix=-1", UsageQuery{}, "periodStartUnix", "'periodStartUnix' must be between 0 and 253402300799, got: -1"},
		{"periodStartUnix=soon", UsageQuery{}, "periodStartUnix", "'periodStartUnix' must be an integer, got: 'soon'"},
	}
	for _, tc := range cases {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		got, errs := ParseUsageQuery(q, usageNow)
		if tc.field != "" {
			if len(errs) == 0 || errs[0].Status != 400 || errs[0].Field != tc.field || errs[0].Detail != tc.msg {
				t.Errorf("%q: %v, want 400 %s %q", tc.query, errs, tc.field, tc.msg)
			}
			continue
		}
		if errs != nil || got != tc.want {
			t.Errorf("%q: %+v %v, want %+v", tc.query, got, errs, tc.want)
		}
	}
	// Both bad: both reported.
	q, _ := url.ParseQuery("year=x&month=99")
	if _, errs := ParseUsageQuery(q, usageNow); len(errs) != 2 || errs[0].Field != "year" || errs[1].Field != "month" {
		t.Errorf("two errors: %v", errs)
	}
}

// TestWriteUsage: the answers' shapes and values, with the field names of
// the reference's examples.
func TestWriteUsage(t *testing.T) {
	rec := dialect.UsageRecords{Now: usageNow, Credits: 100,
		Months: []dialect.MonthUsage{{Start: month(2026, 3), Used: 40}, {Start: month(2026, 1), Used: 120.5}}}
	answer := func(query string) (int, string) {
		t.Helper()
		q, _ := url.ParseQuery(query)
		w := httptest.NewRecorder()
		if errs := WriteUsage(w, q, rec); errs != nil {
			return errs[0].Status, errs[0].Detail
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Fatalf("content type %q", ct)
		}
		return w.Code, w.Body.String()
	}
	cases := []struct{ query, want string }{
		{"", `{"membership":"Matte","credits":100,"prepaidCredits":0,"app_usage":0,"api_usage":40}`},
		{"year=2026&month=1", `{"membership":"Matte","credits":100,"prepaidCredits":0,"app_usage":0,"api_usage":120.5}`},
		{"year=2026&month=2", `{"membership":"Matte","credits":100,"prepaidCredits":0,"app_usage":0,"api_usage":0}`},
		// March 2026 starts at 1772323200 and ends at 1775001599.
		{"expand=billing_cycle", `{"membership":"Matte","credits":100,"prepaidCredits":0,"app_usage":0,"api_usage":40,` +
			`"billingCycle":{"periodStartUnix":1772323200,"periodEndUnix":1775001599,"appUsage":0,"apiUsage":40,"includedCredits":100,` +
			`"prepaidCredits":0,"usedIncludedCredits":40,"remainingIncludedCredits":60,"stripeBillingSynced":false}}`},
		// January 2026: 1767225600 to 1769903999; over its quota, nothing remains.
		{"periodStartUnix=1767225600&includeBillingCycle=1", `{"membership":"Matte","credits":100,"prepaidCredits":0,"app_usage":0,"api_usage":120.5,` +
			`"billingCycle":{"periodStartUnix":1767225600,"periodEndUnix":1769903999,"appUsage":0,"apiUsage":120.5,"includedCredits":100,` +
			`"prepaidCredits":0,"usedIncludedCredits":120.5,"remainingIncludedCredits":0,"stripeBillingSynced":false}}`},
		{"listBillingCycles=1", `{"billingCycles":[{"periodStartUnix":1772323200,"periodEndUnix":1775001599,"appUsage":0,"apiUsage":40},` +
			`{"periodStartUnix":1767225600,"periodEndUnix":1769903999,"appUsage":0,"apiUsage":120.5}]}`},
	}
	for _, tc := range cases {
		if code, body := answer(tc.query); code != 200 || body != tc.want {
			t.Errorf("%q: %d %s\nwant %s", tc.query, code, body, tc.want)
		}
	}
	if code, msg := answer("periodStartUnix=1&year=2026"); code != 400 || msg != MsgPeriodWithMonth {
		t.Errorf("conflict: %d %q", code, msg)
	}
}
