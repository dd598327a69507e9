import { SubjectDto } from './subject.dto';

export class ConsentQueryDto extends SubjectDto {}
