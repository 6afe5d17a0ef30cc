import { silentLogger } from '../../../../src/observability/logger';
import { ConnectorError } from '../../../../src/errors';
import type { ActionContext } from '../../../../connectors/connector';
import {
  createUpdateRecordHandler,
  updateRecordAction,
} from '../../../../connectors/servicenow/actions/update-record.action';
import {
  addWorkNoteAction,
  createAddWorkNoteHandler,
  entryMatches,
  noteBody,
} from '../../../../connectors/servicenow/actions/add-work-note.action';
import {
  attachFileAction,
  createAttachFileHandler,
  fileBytes,
} from '../../../../connectors/servicenow/actions/attach-file.action';
import type { JournalEntry } from '../../../../connectors/servicenow/schemas';

const SYS_ID = '9d385017c611228701d22104cc95c371';
const ctx: ActionContext = {
  idempotencyKey: 'run-1:note',
  runId: 'run-1',
  stepName: 'note',
  ticket: { table: 'incident', sysId: SYS_ID, number: 'INC0000003' },
  logger: silentLogger(),
  signal: new AbortController().signal,
};

function entry(value: string, sysId = 'e1'): JournalEntry {
  return {
    sysId,
    element: 'work_notes',
    elementId: SYS_ID,
    table: 'incident',
    value,
    createdOn: undefined,
    createdBy: 'x',
  };
}

describe('update_record', () => {
  it('converts values to wire strings and returns the new sys_mod_count as a number', async () => {
    const update = jest.fn().mockResolvedValue({ sys_id: SYS_ID, sys_mod_count: '5' });
    const handler = createUpdateRecordHandler({ client: { update } });
    const progress = await handler.start(
      {
        table: 'incident',
        sys_id: SYS_ID,
        fields: { state: 6, active: false, close_notes: 'done', assigned_to: null },
      },
      ctx,
    );
    expect(progress).toEqual({ status: 'done', result: { sys_mod_count: 5 } });
    expect(update).toHaveBeenCalledWith(
      'incident',
      SYS_ID,
      { state: '6', active: 'false', close_notes: 'done', assigned_to: '' },
      expect.objectContaining({ fields: ['sys_id', 'sys_mod_count'] }),
    );
    expect(updateRecordAction.result.parse({ sys_mod_count: 5 })).toEqual({ sys_mod_count: 5 });
  });

  it('refuses journal fields (they go through add_work_note) and bad identifiers, before any call', async () => {
    const update = jest.fn();
    const handler = createUpdateRecordHandler({ client: { update } });
    await expect(
      handler.start({ table: 'incident', sys_id: SYS_ID, fields: { work_notes: 'x' } }, ctx),
    ).rejects.toMatchObject({ code: 'servicenow.invalid_params', failure: 'permanent' });
    await expect(
      handler.start({ table: 'incident', sys_id: 'not-a-sys-id', fields: { state: '2' } }, ctx),
    ).rejects.toThrow(/sys_id/);
    await expect(
      handler.start({ table: 'Incident; DROP', sys_id: SYS_ID, fields: { state: '2' } } as never, ctx),
    ).rejects.toThrow(ConnectorError);
    await expect(handler.start({ table: 'incident', sys_id: SYS_ID, fields: {} }, ctx)).rejects.toThrow(
      /at least one field/,
    );
    expect(update).not.toHaveBeenCalled();
  });
});

describe('add_work_note', () => {
  const marker = '[snowline-writeback:0b7c3a1e-8d43-4c2e-9f6a-2f1b3f0c9d11]';

  it('appends the marker on its own line unless the text already holds it', () => {
    expect(noteBody({ text: 'Restarted nginx.', marker })).toBe(`Restarted nginx.\n\n${marker}`);
    expect(noteBody({ text: `Restarted nginx. ${marker}`, marker })).toBe(`Restarted nginx. ${marker}`);
    expect(noteBody({ text: 'Restarted nginx.' })).toBe('Restarted nginx.');
  });

  it('matches journal entries by marker, or by the whole text when there is none', () => {
    expect(entryMatches(entry(`Restarted nginx.\r\n\r\n${marker}`), { text: 'other text', marker })).toBe(true);
    expect(entryMatches(entry('Restarted nginx.'), { text: 'Restarted nginx.', marker })).toBe(false);
    expect(entryMatches(entry('Restarted   nginx.\n'), { text: 'Restarted nginx.' })).toBe(true);
    expect(entryMatches(entry('Restarted nginx on web02.'), { text: 'Restarted nginx.' })).toBe(false);
  });

  it('start PATCHes the journal field; recover finds the note; check reports it done', async () => {
    const client = {
      update: jest.fn().mockResolvedValue({ sys_id: SYS_ID, sys_mod_count: '7' }),
      journalEntries: jest
        .fn()
        .mockResolvedValue([entry('Looking into it.', 'e0'), entry(`Restarted nginx.\n\n${marker}`, 'e1')]),
      getRecord: jest.fn().mockResolvedValue({ sys_id: SYS_ID, sys_mod_count: '8' }),
    };
    const handler = createAddWorkNoteHandler({ client });
    const params = { table: 'incident', sys_id: SYS_ID, text: 'Restarted nginx.', marker };
    expect(await handler.start(params as never, ctx)).toEqual({
      status: 'done',
      result: { sys_mod_count: 7, recovered: false },
    });
    expect(client.update).toHaveBeenCalledWith(
      'incident',
      SYS_ID,
      { work_notes: `Restarted nginx.\n\n${marker}` },
      expect.anything(),
    );

    const ref = await handler.recover!(params as never, ctx);
    expect(ref).toBe('journal:e1');
    expect(client.journalEntries).toHaveBeenCalledWith(
      SYS_ID,
      'work_notes',
      expect.objectContaining({ table: 'incident' }),
    );
    const done = await handler.check!(ref!, params as never, ctx);
    expect(done).toEqual({ status: 'done', result: { sys_mod_count: 8, journal_entry: 'e1', recovered: true } });
    expect(addWorkNoteAction.result.safeParse((done as { result: unknown }).result).success).toBe(true);
  });

  it('recover returns undefined when the note is not in the journal (so it is sent again)', async () => {
    const client = {
      update: jest.fn(),
      getRecord: jest.fn(),
      journalEntries: jest.fn().mockResolvedValue([entry('Looking into it.')]),
    };
    const handler = createAddWorkNoteHandler({ client });
    expect(
      await handler.recover!({ table: 'incident', sys_id: SYS_ID, text: 'Restarted nginx.', marker } as never, ctx),
    ).toBeUndefined();
  });

  it('writes customer-visible comments when asked', async () => {
    const client = {
      update: jest.fn().mockResolvedValue({ sys_mod_count: '1' }),
      getRecord: jest.fn(),
      journalEntries: jest.fn(),
    };
    await createAddWorkNoteHandler({ client }).start(
      { table: 'incident', sys_id: SYS_ID, text: 'We are on it', element: 'comments' } as never,
      ctx,
    );
    expect(client.update.mock.calls[0][2]).toEqual({ comments: 'We are on it' });
  });
});

describe('attach_file', () => {
  it('decodes base64 content and refuses what is not base64', () => {
    expect(fileBytes({ content: 'aGVsbG8=', encoding: 'base64' }).toString()).toBe('hello');
    expect(fileBytes({ content: 'héllo', encoding: 'utf8' }).byteLength).toBe(6);
    expect(
      attachFileAction.params.safeParse({
        table: 'incident',
        sys_id: SYS_ID,
        file_name: 'a.log',
        content: '%%%',
        encoding: 'base64',
      }).success,
    ).toBe(false);
    expect(
      attachFileAction.params.safeParse({ table: 'incident', sys_id: SYS_ID, file_name: '../etc/passwd', content: 'x' })
        .success,
    ).toBe(false);
  });

  it('recover finds an attachment of the same name and size', async () => {
    const att = (sizeBytes: number, sysId: string) => ({
      sysId,
      fileName: 'job.log',
      contentType: 'text/plain',
      sizeBytes,
      tableName: 'incident',
      tableSysId: SYS_ID,
      downloadLink: 'l',
      createdOn: undefined,
    });
    const client = {
      attach: jest.fn(),
      getAttachment: jest.fn(),
      listAttachments: jest.fn().mockResolvedValue([att(3, 'other'), att(5, 'mine')]),
    };
    const handler = createAttachFileHandler({ client });
    expect(
      await handler.recover!(
        { table: 'incident', sys_id: SYS_ID, file_name: 'job.log', content: 'hello' } as never,
        ctx,
      ),
    ).toBe('attachment:mine');
    expect(
      await handler.recover!(
        { table: 'incident', sys_id: SYS_ID, file_name: 'job.log', content: 'hello!!' } as never,
        ctx,
      ),
    ).toBeUndefined();
  });
});
