/*
 * UI Action "Run automation" — a form button on incident, change_request and problem.
 *   Client: false   Show update: true   Condition: gs.hasRole('itil')
 *   Requires system properties x_snowline.api_url (e.g. https://snowline.example.com) and
 *   x_snowline.api_token (a Snowline JWT with the operator role: `snowline token --sub servicenow
 *   --role operator`; mark the property "private").
 *
 * Asks Snowline to run one rule on this ticket now: create one UI Action per rule an agent may
 * start by hand ("Restart service", "Clean up disk"...) and set RULE_ID to the rule's id in
 * mappings/*.yaml. Snowline runs the rule only when it has the `manual` trigger and its condition
 * holds for the ticket, so the button grants nothing the rule does not already allow; who may see
 * the button is this UI Action's own condition.
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
    sys_id: current.getUniqueValue()
  }));
  var response = request.execute();
  var status = response.getStatusCode();
  if (status >= 200 && status < 300) {
    gs.addInfoMessage('Snowline accepted the automation request; progress appears in the work notes.');
  } else {
    gs.addErrorMessage('Snowline refused the automation request (HTTP ' + status + '): ' + response.getBody());
  }
  action.setRedirectURL(current);
})();
