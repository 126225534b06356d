import { render } from 'preact';
import { StaffApp } from './StaffApp';
import '../ui/style.css';

render(<StaffApp />, document.getElementById('app')!);
