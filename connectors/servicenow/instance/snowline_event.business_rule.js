/*
 * Business Rule "Snowline: send event" — install on incident, change_request and problem.
 *   When: after   Insert: true   Update: true   Order: 1000   Advanced: true
 *   Condition: gs.getUserName() != gs.getProperty('x_snowline.integration_user')
 *     (Snowline's own PATCHes need not come back; Snowline drops them anyway.)
 *
 * Runs "after" (not "async") because only an after rule can still read which fields changed;
 * the callout itself is executeAsync(), so the agent's transaction does not wait for Snowline.
 * RESTMessageV2 never retries (https://www.servicenow.com/docs/r/api-reference/server-api-reference/c_RESTMessageV2API.html): Snowline's Table API poller is the
 * safety net for a delivery lost here, and the inbox de-duplicates one arriving twice.
 *
 * System properties (create them under System Properties; mark the secret one "private"):
 *   x_snowline.webhook_url      e.g. https://snowline.example.com/webhooks/servicenow
 *   x_snowline.webhook_secret   the same value as SNOWLINE_WEBHOOK_SECRET on Snowline
 *   x_snowline.integration_user the user Snowline writes back as
 *   x_snowline.fields           comma-separated fields to send (empty = every field)
 */
(function executeRule(current, previous /* null when async */) {
  var url = gs.getProperty('x_snowline.webhook_url');
  var secret = gs.getProperty('x_snowline.webhook_secret');
  if (!url || !secret) {
    gs.warn('Snowline: x_snowline.webhook_url or x_snowline.webhook_secret is not set; event not sent');
    return;
  }

  var body = JSON.stringify({
    event: current.operation() == 'insert' ? 'inserted' : 'updated',
    table: current.getTableName(),
    sys_id: current.getUniqueValue(),
    number: current.getValue('number'),
    sys_mod_count: String(current.getValue('sys_mod_count')),
    sys_updated_on: current.getValue('sys_updated_on'), // raw values are UTC "yyyy-MM-dd HH:mm:ss"
    sys_updated_by: current.getValue('sys_updated_by'),
    changed_fields: changedFields(current),
    record: recordValues(current, gs.getProperty('x_snowline.fields', ''))
  });

  // The MAC covers "<unix seconds>.<body>"; generateMac wants a Base64 key and returns Base64.
  var timestamp = String(Math.floor(new GlideDateTime().getNumericValue() / 1000));
  var mac = new GlideCertificateEncryption().generateMac(gs.base64Encode(secret), 'HmacSHA256', timestamp + '.' + body);

  var request = new sn_ws.RESTMessageV2();
  request.setEndpoint(url);
  request.setHttpMethod('post');
  request.setHttpTimeout(10000);
  request.setRequestHeader('Content-Type', 'application/json');
  request.setRequestHeader('X-Snowline-Timestamp', timestamp);
  request.setRequestHeader('X-Snowline-Signature', 'sha256=' + mac);
  request.setRequestBody(body);
  request.executeAsync();

  function changedFields(record) {
    if (record.operation() == 'insert') return [];
    var names = GlideScriptRecordUtil.get(record).getChangedFieldNames();
    var out = [];
    for (var i = 0; i < names.size(); i++) out.push(String(names.get(i)));
    return out;
  }

  function recordValues(record, only) {
    var wanted = only ? only.split(',') : null;
    var values = {};
    var fields = record.getFields();
    for (var i = 0; i < fields.size(); i++) {
      var name = String(fields.get(i).getName());
      if (wanted && wanted.indexOf(name) < 0 && name != 'sys_id') continue;
      if (name == 'work_notes' || name == 'comments') continue; // journal text travels via sys_journal_field
      values[name] = record.getValue(name) === null ? '' : String(record.getValue(name));
    }
    return values;
  }
})(current, previous);
