import { api, ok } from "./api";

export type SheetsSource = { job_id: string } | { learning_set_id: string };

export interface SheetsExportResult {
  spreadsheet_id: string;
  url: string;
  sheet_title: string;
  rows: number;
}

/** Where "Export to Google Sheets" sends the browser for the consent, and comes back (`?sheets_export=1`). */
export function connectHref(returnTo: string): string {
  return `/api/v1/integrations/google-sheets/connect?return_to=${encodeURIComponent(returnTo)}`;
}

export const sheetsConnection = (): Promise<{ connected: boolean; scopes: string[] }> => ok(api.GET("/api/v1/integrations/google-sheets"));

export const disconnectSheets = () => ok(api.DELETE("/api/v1/integrations/google-sheets"));

export const exportToSheets = (source: SheetsSource): Promise<SheetsExportResult> =>
  ok(api.POST("/api/v1/exports/sheets", { body: { source } }));

/** The errors that mean: go and allow access first. */
export const needsConsent = (code: string) => code === "sheets_not_connected" || code === "sheets_reconnect";
