import { webUiLinks } from '../../src/cli/web-ui-links';

describe('webUiLinks: where ops find migrations in the Temporal Web UI', () => {
  const workflow = { workflowId: 'migration-lakeside', runId: '01a2-run' };

  it("points at the local dev server's UI when Temporal is the local one, with the migration's User Metadata tab", () => {
    expect(webUiLinks({}, workflow)).toEqual({
      migrations: 'http://127.0.0.1:8233/namespaces/default/workflows?query=WorkflowType%3D%22migrationWorkflow%22&savedQuery=Dentrix%20migrations',
      migration: 'http://127.0.0.1:8233/namespaces/default/workflows/migration-lakeside/01a2-run/user-metadata',
    });
  });

  it('uses TEMPORAL_UI_URL and the namespace for a remote Temporal, and prints nothing without a UI address', () => {
    const cloud = { TEMPORAL_ADDRESS: 'acme.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'acme.a1b2c', TEMPORAL_UI_URL: 'https://cloud.temporal.io/' };
    expect(webUiLinks(cloud)).toEqual({
      migrations: 'https://cloud.temporal.io/namespaces/acme.a1b2c/workflows?query=WorkflowType%3D%22migrationWorkflow%22&savedQuery=Dentrix%20migrations',
    });
    expect(webUiLinks({ TEMPORAL_ADDRESS: 'temporal.internal:7233' }, workflow)).toBeUndefined();
  });
});
