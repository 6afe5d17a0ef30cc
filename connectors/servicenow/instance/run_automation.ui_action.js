/*
 * UI Action "Run automation" — a form button on incident, change_request and problem.
 *   Client: false   Show update: true   Condition: gs.hasRole('itil')
 *   Requires system properties x_snowline.api_url (e.g. https://snowline.example.com) and
 *   x_snowline.api_token (a Snowline JWT with the operator role: `snowline token --sub servicenow
 *   --role operator`; mark the property "private").
 *
 * Asks Snowline to run one rule on this ticket now: create one UI Action per rule an agent may
 * start by hand ("Restart service", "Clean up disk"...) and set RULE_ID to the rule's id in
 * mappings/*.yaml. Snowline runs the rule only when it has a `manual` trigger and its condition
 * holds for the ticket, so the button grants nothing the rule does not already allow.
 *
 * The request names the agent who pressed the button (`requested_by`: their user_name). A rule with
 * `{ manual: true, allowed_groups: [...] }` runs only when that agent is a member of one of the
 * groups (Snowline reads sys_user_grmember itself); otherwise Snowline answers 403 with the reason,
 * which this script shows the agent, and records the refusal in its audit journal. This UI Action's
 * own condition only decides who sees the button.
 */
(function runAutomation() {
  var RULE_ID = 'restart-service-when-down';
  var request = new sn_ws.RESTMessageV2();
  request.setEndpoint(gs.getProperty('x_snowline.api_url') + '/api/v1/rules/' + encodeURIComponent(RULE_ID) + '/trigger');
  request.setHttpMethod('post');
  request.setHttpTimeout(10000);
  request.setRequestHeader('Content-Type', 'application/json');
  request.setRequestHeader('Authorization', 'Bearer ' + gs.getProperty('x_snowline.api_token'));
  request.setRequestBody(JSON.stringify({
    table: current.getTableName(),
    sys_id: current.getUniqueValue(),
    requested_by: gs.getUserName()
  }));
  var response = request.execute();
  var status = response.getStatusCode();
  if (status >= 200 && status < 300) {
    gs.addInfoMessage('Snowline accepted the automation request; progress appears in the work notes.');
  } else if (status == 403) {
    var refusal = {};
    try { refusal = JSON.parse(response.getBody()).error || {}; } catch (e) { /* not JSON: show the status */ }
    gs.addErrorMessage('You may not run this automation: ' + (refusal.message || 'refused by Snowline (HTTP 403)'));
  } else {
    gs.addErrorMessage('Snowline refused the automation request (HTTP ' + status + '): ' + response.getBody());
  }
  action.setRedirectURL(current);
})();
